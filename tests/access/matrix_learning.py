"""Access-matrix entries for learning: partner users take the courses meant for their tier (a
course of another tier answers 404, so partner B's admin gets 404 on partner A's course); vendor
staff see the rates and chase partners they may see."""

from .base import VENDOR_ACTION, VENDOR_PAGE, Entry, _all

# A course for partner A's tier: its members; partner B (another tier) 404; vendor staff 403.
OWN_COURSE_PAGE = _all(
    403, anonymous=302, partner_admin=200, partner_finance=200, partner_sales=200, other_partner=404
)
OWN_COURSE_ACTION = {**OWN_COURSE_PAGE, "partner_admin": 302, "partner_finance": 302}
OWN_COURSE_ACTION["partner_sales"] = 302


def _course(world):
    from django.core.files.base import ContentFile

    from enablement.models import Course, Module
    from tests.enablement.learning_builders import course_build

    course = Course.objects.filter(code="MATRIX-101").first()
    if course is None:
        assert world.partner.tier_id != world.other_partner.tier_id
        course = course_build(code="MATRIX-101", tiers=[world.partner.tier])
        module = Module(course=course, order=3, kind="file", title="Datasheet")
        module.file.save("datasheet.txt", ContentFile(b"Ports and speeds"), save=True)
    return course


def _code(world):
    return {"code": _course(world).code}


def _module(world):
    course = _course(world)
    return {"code": course.code, "pk": course.modules.order_by("order").first().pk}


def _file_module(world):
    course = _course(world)
    return {"code": course.code, "pk": course.modules.get(kind="file").pk}


def _workshop(world):
    """A workshop of the matrix course (meant for partner A's tier), partner A's sales user
    holding a seat."""
    import datetime as dt

    from django.utils import timezone

    from enablement.models import Workshop, WorkshopRegistration

    workshop = Workshop.objects.filter(title="Matrix lab").first()
    if workshop is None:
        starts = timezone.now() + dt.timedelta(days=20)
        workshop = Workshop.objects.create(
            course=_course(world),
            title="Matrix lab",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            place="Taipei",
            capacity=5,
        )
        WorkshopRegistration.objects.create(
            workshop=workshop,
            user=world.users["partner_sales"],
            partner=world.partner,
            status="confirmed",
        )
    return {"pk": workshop.pk}


# The workshop of a course meant for partner A's tier: all may see it but partner B (404).
OWN_WORKSHOP_PAGE = _all(200, anonymous=302, other_partner=404)
# Registering: partner A's users; vendor staff 403; partner B 404.
WORKSHOP_REGISTER = _all(
    403, anonymous=302, partner_admin=302, partner_finance=302, partner_sales=302, other_partner=404
)
# Cancelling: only partner A's sales user holds a registration; the others have none (404).
WORKSHOP_CANCEL = {**WORKSHOP_REGISTER, "partner_admin": 404, "partner_finance": 404}
VENDOR_STAFF_PAGE = _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=200)

ENTRIES = {
    "workshop_list": Entry(_all(200, anonymous=302)),
    "workshop_register": Entry(WORKSHOP_REGISTER, method="post", kwargs=_workshop),
    "workshop_cancel": Entry(WORKSHOP_CANCEL, method="post", kwargs=_workshop),
    "workshop_calendar": Entry(OWN_WORKSHOP_PAGE, kwargs=_workshop),
    "workshop_attendance": Entry(VENDOR_STAFF_PAGE, kwargs=_workshop),
    "learning_home": Entry(
        _all(200, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=302)
    ),
    "learning_course_report": Entry(VENDOR_PAGE),
    "learning_chase": Entry(
        VENDOR_ACTION, method="post", kwargs=lambda w: {"code": w.partner.code}
    ),
    "learning_course": Entry(OWN_COURSE_PAGE, kwargs=_code),
    "learning_module_done": Entry(OWN_COURSE_ACTION, method="post", kwargs=_module),
    "learning_module_file": Entry(OWN_COURSE_PAGE, kwargs=_file_module),
    "learning_quiz": Entry(OWN_COURSE_PAGE, kwargs=_code),
}
