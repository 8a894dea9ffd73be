"""The vendor's learning rates by partner, tier and course, in a fixed number of queries, and
the partners with nobody certified, whose admins vendor staff remind."""

from decimal import Decimal

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enablement.learning import course_pass, module_mark_done
from enablement.learning_report import chase_list, learning_report
from enablement.models import Enrollment
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from .learning_builders import course_build


def _rates(rows):
    return {row.label: (row.rates.started, row.rates.completed, row.rates.passed) for row in rows}


def _start(user, course):
    module_mark_done(user=user, course=course, module_pk=course.modules.first().pk)


def _scenario(world):
    """Course NET: partner A's sales passed, finance completed, admin started; partner B's
    admin started. Course SEC: partner A's sales started."""
    net = course_build(code="NET")
    sec = course_build(code="SEC")
    users = world.users
    for key in ("partner_sales", "partner_finance", "partner_admin", "other_partner"):
        _start(users[key], net)
    for module in net.modules.all():
        module_mark_done(user=users["partner_finance"], course=net, module_pk=module.pk)
    course_pass(user=users["partner_sales"], course=net)
    _start(users["partner_sales"], sec)
    return net, sec


def test_rates_by_course_tier_and_partner(world):
    _scenario(world)
    report = learning_report(user=world.users["vendor_admin"])
    by_course = {r.key.code: r.rates for r in report["by_course"]}
    assert (by_course["NET"].started, by_course["NET"].completed, by_course["NET"].passed) == (
        4,
        2,
        1,
    )
    assert by_course["NET"].completion_rate == Decimal("50.0")
    assert by_course["NET"].pass_rate == Decimal("25.0")
    assert by_course["SEC"].pass_rate == Decimal("0.0")
    by_partner = {
        r.key.code: (r.rates.started, r.rates.completed, r.rates.passed)
        for r in report["by_partner"]
    }
    assert by_partner == {"P-A": (4, 2, 1), "P-B": (1, 0, 0)}
    a, b = world.partner, world.other_partner
    assert _rates(report["by_tier"]) == {
        a.tier.display_name: (4, 2, 1),
        b.tier.display_name: (1, 0, 0),
    }


def test_a_channel_manager_sees_only_their_partners(world):
    _scenario(world)
    report = learning_report(user=world.users["cm_assigned"])
    assert [r.key.code for r in report["by_partner"]] == ["P-A"]
    by_course = {r.key.code: r.rates.started for r in report["by_course"]}
    assert by_course == {"NET": 3, "SEC": 1}
    assert learning_report(user=world.users["cm_unassigned"])["by_partner"] == []


def test_the_report_runs_a_fixed_number_of_queries(world, django_assert_num_queries):
    _scenario(world)
    admin = world.users["vendor_admin"]
    with django_assert_num_queries(4):
        learning_report(user=admin)
    # ten more partners with people learning: the same queries
    net = world.partner.tier.courses.model.objects.get(code="NET")
    for _ in range(10):
        partner = PartnerFactory()
        user = UserFactory()
        MembershipFactory(user=user, partner=partner, role="sales")
        _start(user, net)
    with django_assert_num_queries(4):
        report = learning_report(user=admin)
    assert len(report["by_partner"]) == 12


def test_the_report_page_and_the_chase_list(world):
    _scenario(world)
    client = world.client("vendor_admin")
    response = client.get(reverse("learning_course_report"))
    assert response.status_code == 200
    # partner A's sales user passed NET: only partner B is to be chased
    assert [p.code for p in response.context["chase"]] == ["P-B"]
    body = response.content.decode()
    assert "50.0%" in body
    assert reverse("learning_chase", kwargs={"code": "P-B"}) in body
    assert reverse("learning_chase", kwargs={"code": "P-A"}) not in body


def test_a_partner_with_a_certified_member_is_not_chased(world):
    net, _sec = _scenario(world)
    today = timezone.localdate()
    admin = world.users["vendor_admin"]
    assert [p.code for p in chase_list(user=admin, on=today)] == ["P-B"]
    course_pass(user=world.users["other_partner"], course=net)
    assert chase_list(user=admin, on=today) == []
    # a certificate held by a member who has left does not count
    world.users["other_partner"].memberships.update(is_active=False)
    assert [p.code for p in chase_list(user=admin, on=today)] == ["P-B"]
    # nor does one that expired
    world.users["other_partner"].memberships.update(is_active=True)
    expires = world.users["other_partner"].certificates.get().expires
    assert [p.code for p in chase_list(user=admin, on=expires)] == ["P-A", "P-B"]


def test_chasing_notifies_the_partners_admins(world, django_capture_on_commit_callbacks):
    client = world.client("cm_assigned")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("learning_chase", kwargs={"code": "P-A"}))
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert notification.recipient == world.users["partner_admin"]
    assert notification.title == "Acme Trading: nobody is certified yet"
    assert [m.to for m in mail.outbox] == [["admin@a.test"]]
    assert reverse("learning_home") in mail.outbox[0].body


def test_a_certified_partner_is_not_chased_by_url(world):
    net = course_build(code="NET")
    course_pass(user=world.users["partner_sales"], course=net)
    client = world.client("vendor_admin")
    client.post(reverse("learning_chase", kwargs={"code": "P-A"}))
    assert not Notification.objects.exists()
    assert Enrollment.objects.count() == 1


def test_a_channel_manager_cannot_chase_a_partner_of_someone_else(world):
    response = world.client("cm_unassigned").post(reverse("learning_chase", kwargs={"code": "P-A"}))
    assert response.status_code == 404
    assert not Notification.objects.exists()
