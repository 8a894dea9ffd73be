"""Business review pages: the list (scoped, overdue badge, constant queries), the detail with its
scorecard, the calendar file, the actions with their form errors and the htmx toggle."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from partners.models import BusinessReview
from partners.services import action_item_add, review_hold, review_schedule_next
from partners.templatetags.partner_tags import REVIEW_BADGE_CLASSES, REVIEW_BADGE_DEFAULT

from ..factories import PartnerFactory
from .reviews_helpers import ics_event


@pytest.fixture
def review(world):
    return review_schedule_next(world.partner)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _item(world, review, owner="partner_sales"):
    return action_item_add(
        review=review,
        actor=world.users["cm_assigned"],
        title="Share the pipeline",
        owner=world.users[owner],
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )


def _grow(world, n: int) -> None:
    """n more active partners with a review each (and an action item), visible to vendor
    admins; partner A gets n held reviews."""
    for _ in range(n):
        partner = PartnerFactory()
        review_schedule_next(partner)
    for _ in range(n):
        scheduled = world.partner.reviews.filter(
            status="scheduled"
        ).first() or review_schedule_next(world.partner)
        _item(world, scheduled)
        BusinessReview.objects.filter(pk=scheduled.pk).update(
            status="held", held_at=timezone.now(), scheduled_at=timezone.now()
        )


# session, user, count, page of reviews; a channel manager's scope reads its permission facts
# with the user (no query of its own), a partner user's adds the current membership.
QUERIES_REVIEW_LIST = {"vendor_admin": 4, "cm_assigned": 4, "partner_admin": 5}


@pytest.mark.parametrize("role", list(QUERIES_REVIEW_LIST))
def test_review_list_runs_constant_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    url = reverse("review_list")
    client.get(url)
    _grow(world, 2)
    with django_assert_num_queries(QUERIES_REVIEW_LIST[role]):
        small = client.get(url, {"status": "all"})
    _grow(world, 12)
    with django_assert_num_queries(QUERIES_REVIEW_LIST[role]):
        large = client.get(url, {"status": "all"})
    assert small.status_code == large.status_code == 200
    assert len(large.context["reviews"]) > len(small.context["reviews"])


def test_review_list_is_scoped_and_flags_overdue(world):
    mine = review_schedule_next(world.partner)
    theirs = review_schedule_next(world.other_partner)
    BusinessReview.objects.filter(pk=mine.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(days=3)
    )

    vendor = world.client("vendor_admin").get(reverse("review_list"))
    assert {r.pk for r in vendor.context["reviews"]} == {mine.pk, theirs.pk}
    assert vendor.content.decode().count("review-overdue") == 1

    overdue = world.client("vendor_admin").get(reverse("review_list"), {"status": "overdue"})
    assert [r.pk for r in overdue.context["reviews"]] == [mine.pk]

    cm = world.client("cm_assigned").get(reverse("review_list"))
    assert [r.pk for r in cm.context["reviews"]] == [mine.pk]
    assert list(world.client("cm_unassigned").get(reverse("review_list")).context["reviews"]) == []

    partner = world.client("partner_finance").get(reverse("review_list"))
    body = partner.content.decode()
    assert [r.pk for r in partner.context["reviews"]] == [mine.pk]
    assert "Overdue" in body
    assert "Bravo" not in body


def test_review_list_htmx_returns_the_table(world, review):
    response = world.client("vendor_admin").get(
        reverse("review_list"), {"status": "held"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="review-table"')
    assert "No reviews to show." in body


def test_review_detail_shows_live_scorecard_then_snapshot(world, review):
    client = world.client("partner_admin")
    url = reverse("review_detail", kwargs={"pk": review.pk})
    live = client.get(url)
    body = live.content.decode()
    assert "Live figures" in body
    assert 'id="reschedule-form"' not in body  # partner users do not move the meeting
    assert 'id="action-item-form"' in body
    assert "Payouts" in body

    review_hold(review=review, actor=world.users["cm_assigned"], now=review.scheduled_at)
    held = client.get(url).content.decode()
    assert "Recorded when the review was held" in held
    assert 'name="notes"' not in held  # after held only vendor staff edit the notes

    sales = world.client("partner_sales").get(url).content.decode()
    assert "Payouts" not in sales


def test_vendor_sees_the_management_forms(world, review):
    body = world.client("cm_assigned").get(reverse("review_detail", kwargs={"pk": review.pk}))
    content = body.content.decode()
    assert 'id="reschedule-form"' in content
    assert 'id="hold-button"' in content
    assert body.context["reschedule_form"]["time"].value().strftime("%H:%M") == "10:00"


def test_calendar_download(world, review, settings):
    settings.PRM_SITE_URL = "https://prm.example.com"
    response = world.client("partner_finance").get(
        reverse("review_calendar", kwargs={"pk": review.pk})
    )
    assert response["Content-Type"] == "text/calendar; method=REQUEST"
    assert "attachment" in response["Content-Disposition"]
    method, event = ics_event(response.content.decode())
    assert method == "REQUEST"
    assert str(event["UID"]) == f"review-{review.pk}@prm.example.com"


def test_reschedule_through_the_page(world, review):
    client = world.client("cm_assigned")
    day = timezone.localdate() + dt.timedelta(days=21)
    response = client.post(
        reverse("review_reschedule", kwargs={"pk": review.pk}),
        {"date": day.isoformat(), "time": "14:30", "duration_minutes": "90", "location": "Room 3"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.sequence == 1
    local = timezone.localtime(review.scheduled_at)
    assert (local.date(), local.time()) == (day, dt.time(14, 30))
    assert review.location == "Room 3"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2020-01-06", "time": "10:00"}, "Date: Choose a date and time in the future."),
        ({"duration_minutes": "2"}, "Duration (minutes): "),
        ({"date": "not a date"}, "Date: Enter a valid date."),
    ],
)
def test_reschedule_errors_name_the_field(world, review, data, message):
    day = (timezone.localdate() + dt.timedelta(days=21)).isoformat()
    post = {"date": day, "time": "10:00", "duration_minutes": "60", "location": "", **data}
    response = world.client("cm_assigned").post(
        reverse("review_reschedule", kwargs={"pk": review.pk}), post
    )
    assert response.status_code == 302
    assert any(m.startswith(message) for m in _messages(response))
    review.refresh_from_db()
    assert review.sequence == 0


def test_cancel_and_hold_through_the_page(world, review):
    client = world.client("vendor_admin")
    early = client.post(reverse("review_hold", kwargs={"pk": review.pk}))
    assert any("Mark it held on or after that day" in m for m in _messages(early))
    response = client.post(reverse("review_cancel", kwargs={"pk": review.pk}), {"reason": ""})
    assert any(m.startswith("Reason:") for m in _messages(response))
    client.post(reverse("review_cancel", kwargs={"pk": review.pk}), {"reason": "Holiday"})
    review.refresh_from_db()
    assert review.status == BusinessReview.Status.CANCELLED


def test_partner_admin_edits_notes_and_adds_an_item(world, review):
    client = world.client("partner_admin")
    client.post(reverse("review_notes", kwargs={"pk": review.pk}), {"notes": "Our agenda"})
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    client.post(
        reverse("action_item_add", kwargs={"pk": review.pk}),
        {"title": "Send forecast", "owner": world.users["partner_finance"].pk, "due_on": due},
    )
    review.refresh_from_db()
    assert review.notes == "Our agenda"
    item = review.action_items.get()
    assert (item.title, item.owner, item.side) == (
        "Send forecast",
        world.users["partner_finance"],
        "partner",
    )


@pytest.mark.parametrize(
    ("owner_role", "due_days", "message"),
    [
        ("other_partner", 5, "Owner: Choose vendor staff or an active user of this partner."),
        ("partner_sales", -1, "Due on: The due date is in the past."),
    ],
    ids=["owner-on-neither-side", "due-in-the-past"],
)
def test_action_item_form_errors_name_the_field(world, review, owner_role, due_days, message):
    due = (timezone.localdate() + dt.timedelta(days=due_days)).isoformat()
    response = world.client("cm_assigned").post(
        reverse("action_item_add", kwargs={"pk": review.pk}),
        {"title": "Follow up", "owner": world.users[owner_role].pk, "due_on": due},
    )
    assert message in _messages(response)
    assert not review.action_items.exists()


def test_htmx_toggle_swaps_the_item(world, review):
    item = _item(world, review)
    url = reverse("action_item_toggle", kwargs={"pk": review.pk, "item_pk": item.pk})
    client = world.client("partner_sales")

    response = client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(
        f'<li class="list-group-item d-flex gap-3 align-items-start" id="action-item-{item.pk}"'
    )
    assert 'aria-pressed="true"' in body
    assert "done by" in body
    assert "<html" not in body
    item.refresh_from_db()
    assert item.done_by == world.users["partner_sales"]

    response = client.post(url, {"done": "0"})  # plain POST fallback
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_at is None


def test_toggle_of_someone_elses_item_is_refused(world, review):
    item = _item(world, review, owner="partner_admin")
    url = reverse("action_item_toggle", kwargs={"pk": review.pk, "item_pk": item.pk})
    assert world.client("partner_finance").post(url, HTTP_HX_REQUEST="true").status_code == 403
    assert world.client("other_partner").post(url).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None


def test_partner_page_shows_the_next_review_and_open_items(world, review):
    _item(world, review)
    BusinessReview.objects.filter(pk=review.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(days=2)
    )
    body = (
        world.client("partner_admin")
        .get(reverse("partner_detail", kwargs={"code": world.partner.code}))
        .content.decode()
    )
    assert 'id="reviews"' in body
    assert reverse("review_detail", kwargs={"pk": review.pk}) in body
    assert "Share the pipeline" in body
    assert "review-overdue" in body


def test_history_tells_what_happened_to_the_review(world, review):
    _item(world, review)
    world.client("cm_assigned").post(
        reverse("review_notes", kwargs={"pk": review.pk}), {"notes": "Agenda"}
    )
    body = (
        world.client("partner_admin")
        .get(reverse("partner_detail", kwargs={"code": world.partner.code}))
        .content.decode()
    )
    assert "The next business review was scheduled for " in body
    assert "added the action “Share the pipeline”" in body
    assert "edited the review notes." in body


def test_review_list_rows_in_each_state(world):
    """Scheduled (upcoming or overdue), held and cancelled badges; no organiser, no place and
    no open action item; a second organiser."""
    upcoming = review_schedule_next(world.partner)
    overdue = review_schedule_next(world.other_partner)
    held = review_schedule_next(PartnerFactory(code="P-H", name="Hotel"))
    cancelled = review_schedule_next(PartnerFactory(code="P-C", name="Charlie"))
    now = timezone.now()
    BusinessReview.objects.filter(pk=upcoming.pk).update(
        scheduled_at=now + dt.timedelta(days=3), organiser=None, location=""
    )
    BusinessReview.objects.filter(pk=overdue.pk).update(
        scheduled_at=now - dt.timedelta(days=3), organiser=world.users["cm_assigned"]
    )
    BusinessReview.objects.filter(pk=held.pk).update(status="held", held_at=now)
    BusinessReview.objects.filter(pk=cancelled.pk).update(status="cancelled")
    page = world.client("vendor_admin").get(reverse("review_list"), {"status": "all"})
    body = page.content.decode()

    def cells(review):
        row = re.search(
            rf'<tr>\s*<td class="stack-title text-nowrap"><a href="/reviews/{review.pk}/">.*?</tr>',
            body,
            re.S,
        )
        return [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]

    def badge(status, label):
        classes = REVIEW_BADGE_CLASSES.get(status, REVIEW_BADGE_DEFAULT)
        return f'<span class="badge rounded-pill {classes}">{label}</span>'

    upcoming.refresh_from_db()
    when = date_format(timezone.localtime(upcoming.scheduled_at), "SHORT_DATETIME_FORMAT")
    assert cells(upcoming)[0] == f'<a href="/reviews/{upcoming.pk}/">{when}</a>'
    assert cells(upcoming)[2:] == [
        upcoming.get_cadence_display(),
        "—",
        "—",
        "0",
        badge("scheduled", "Scheduled"),
    ]
    assert cells(overdue)[4] == world.users["cm_assigned"].get_full_name()
    assert cells(overdue)[6] == (
        badge("scheduled", "Scheduled") + ' <span class="badge rounded-pill text-bg-danger '
        'review-overdue"><i class="bi bi-alarm" aria-hidden="true"></i> Overdue</span>'
    )
    assert cells(held)[1] == (
        '<a class="link-body-emphasis" href="/partners/P-H/">P-H</a> '
        '<span class="text-body-secondary">Hotel</span>'
    )
    assert cells(held)[6] == badge("held", "Held")
    assert cells(cancelled)[6] == badge("cancelled", "Cancelled")


def test_review_list_rows(world, review):
    """When (linking to the review), partner for vendor staff, cadence, place, organiser, open
    action items and the status badges."""
    _item(world, review)
    BusinessReview.objects.filter(pk=review.pk).update(
        location="<Room> 3", scheduled_at=timezone.now() - dt.timedelta(days=2)
    )
    review.refresh_from_db()
    vendor = world.client("vendor_admin").get(reverse("review_list")).content.decode()
    row = re.search(
        rf'<tr>\s*<td class="stack-title text-nowrap"><a href="/reviews/{review.pk}/">.*?</tr>',
        vendor,
        re.S,
    )
    cells = [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    when = date_format(timezone.localtime(review.scheduled_at), "SHORT_DATETIME_FORMAT")
    badge = REVIEW_BADGE_CLASSES.get(review.status, REVIEW_BADGE_DEFAULT)
    assert cells == [
        f'<a href="/reviews/{review.pk}/">{when}</a>',
        '<a class="link-body-emphasis" href="/partners/P-A/">P-A</a> '
        '<span class="text-body-secondary">Acme Trading</span>',
        review.get_cadence_display(),
        "&lt;Room&gt; 3",
        review.organiser.get_full_name() if review.organiser else "—",
        "1",
        f'<span class="badge rounded-pill {badge}">'
        f"{review.get_status_display()}</span> "
        '<span class="badge rounded-pill text-bg-danger review-overdue"><i class="bi bi-alarm" '
        'aria-hidden="true"></i> Overdue</span>',
    ]
    partner = world.client("partner_sales").get(reverse("review_list")).content.decode()
    row = re.search(r'<tr>\s*<td class="stack-title text-nowrap">.*?</tr>', partner, re.S)
    assert len(re.findall(r"<td[^>]*>", row.group(0))) == 6
    empty = world.client("cm_unassigned").get(reverse("review_list")).content.decode()
    assert "No reviews to show." in empty
