"""Business reviews: cadence and scheduling, reschedule/cancel/hold with calendar invitations,
the scorecard snapshot, notes, action items and the daily reminders with a frozen clock."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from agreements.models import Agreement, Product
from commissions.models import Sale, Statement
from disputes.models import Case
from partners.models import (
    ActionItem,
    BusinessReview,
    DealRegistration,
    Partner,
    ReviewReminder,
    Target,
)
from partners.selectors import (
    action_item_open_list,
    review_overdue_count,
    review_upcoming_list,
)
from partners.selectors.reviews import review_cadence_for, review_period
from partners.services import (
    action_item_add,
    action_item_toggle,
    partner_change_status,
    review_cancel,
    review_hold,
    review_notes_update,
    review_reminders_send,
    review_reschedule,
    review_schedule_missing,
    review_schedule_next,
)
from partners.tasks import review_reminders_send_task
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event
from prm.notifications.models import Notification

from ..factories import PartnerFactory
from .factories import DealLineFactory, DealRegistrationFactory
from .reviews_helpers import NOW, TODAY, agreement_with_cadence, at, ics_attachments, ics_event


@pytest.fixture
def review(world):
    return review_schedule_next(world.partner, now=NOW)


def _vendor(world):
    return world.users["cm_assigned"]


# Cadence and scheduling


def test_default_cadence_is_quarterly_on_a_weekday_at_ten(world):
    review = review_schedule_next(world.partner, now=NOW)

    assert review.cadence == "quarterly"
    local = timezone.localtime(review.scheduled_at)
    assert local.date() == dt.date(2026, 6, 4)  # 4 March + 3 months, a Thursday
    assert local.time() == dt.time(10, 0)
    assert review.organiser == world.users["cm_assigned"]
    assert review.status == BusinessReview.Status.SCHEDULED
    assert Event.objects.filter(verb="review.scheduled", target_id=str(review.pk)).exists()


def test_cadence_comes_from_the_agreement_version_in_force(world):
    agreement_with_cadence(world.partner, "monthly")

    review = review_schedule_next(world.partner, now=NOW)

    assert review.cadence == "monthly"
    assert timezone.localtime(review.scheduled_at).date() == dt.date(2026, 4, 6)  # 4 Apr is Sat


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"in_force_from": dt.date(2026, 6, 1)}, "quarterly"),  # not in force yet
        ({"status": Agreement.Status.TERMINATED}, "quarterly"),  # agreement no longer live
        ({}, "yearly"),
    ],
    ids=["future-version", "terminated-agreement", "in-force"],
)
def test_cadence_ignores_versions_not_in_force(world, kwargs, expected):
    agreement_with_cadence(world.partner, "yearly", **kwargs)
    assert review_cadence_for(partner=world.partner, on=TODAY) == expected


def test_weekend_dates_move_to_monday(world):
    saturday_plus_three_months = at(dt.date(2026, 2, 7))
    review = review_schedule_next(world.partner, now=saturday_plus_three_months)
    assert timezone.localtime(review.scheduled_at).date() == dt.date(2026, 5, 7)  # a Thursday
    review.delete()
    review = review_schedule_next(world.partner, after=dt.date(2026, 4, 4), now=NOW)
    assert timezone.localtime(review.scheduled_at).date() == dt.date(2026, 7, 6)  # Sat → Mon


def test_one_scheduled_review_per_partner(world):
    first = review_schedule_next(world.partner, now=NOW)
    again = review_schedule_next(world.partner, now=NOW)
    assert again.pk == first.pk
    assert BusinessReview.objects.filter(partner=world.partner).count() == 1


def test_inactive_partner_gets_no_review(world):
    prospect = PartnerFactory(status=Partner.Status.ONBOARDING)
    assert review_schedule_next(prospect, now=NOW) is None


def test_becoming_active_schedules_the_first_review(world, django_capture_on_commit_callbacks):
    partner = PartnerFactory(status=Partner.Status.ONBOARDING)
    with django_capture_on_commit_callbacks(execute=True):
        partner_change_status(
            partner=partner,
            status=Partner.Status.ACTIVE,
            actor=world.users["vendor_admin"],
            reason="Trained",
        )
    assert partner.reviews.filter(status=BusinessReview.Status.SCHEDULED).count() == 1


def test_scheduling_email_carries_the_invitation(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PRM_SITE_URL = "https://prm.example.com"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review = review_schedule_next(world.partner, now=NOW)

    assert {m.to[0] for m in mail.outbox} == {"cm@vendor.test", "admin@a.test"}
    message = mail.outbox[0]
    assert "Acme Trading" in message.subject
    assert f"https://prm.example.com/reviews/{review.pk}/" in message.body
    (content,) = ics_attachments(message)
    method, event = ics_event(content)
    assert method == "REQUEST"
    assert str(event["UID"]) == f"review-{review.pk}@prm.example.com"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == review.scheduled_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=60)
    assert str(event["ORGANIZER"]) == "mailto:cm@vendor.test"
    assert {str(a) for a in event["ATTENDEE"]} == {"mailto:cm@vendor.test", "mailto:admin@a.test"}
    assert f"/reviews/{review.pk}/" in str(event["DESCRIPTION"])
    assert message.attachments[0][2] == "text/calendar; method=REQUEST"
    assert (
        Notification.objects.filter(category="reviews", url=f"/reviews/{review.pk}/").count() == 2
    )


def test_reschedule_bumps_the_sequence_and_resends(
    world, review, django_capture_on_commit_callbacks
):
    ReviewReminder.objects.create(review=review, kind="14d")
    mail.outbox.clear()
    new_time = at(dt.date(2026, 6, 10), 15)
    with django_capture_on_commit_callbacks(execute=True):
        moved = review_reschedule(
            review=review,
            actor=_vendor(world),
            scheduled_at=new_time,
            duration_minutes=90,
            location="https://meet.example.com/acme",
            now=NOW,
        )

    assert moved.sequence == 1
    assert not moved.reminders.exists()  # reminders start over for the new date
    assert len(mail.outbox) == 2
    method, event = ics_event(ics_attachments(mail.outbox[0])[0])
    assert method == "REQUEST"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["UID"]).startswith(f"review-{review.pk}@")
    assert event.decoded("DTSTART") == new_time
    assert event.to_ical().decode().count("DTSTART:20260610T070000Z") == 1  # 15:00 Taipei
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=90)
    assert str(event["LOCATION"]) == "https://meet.example.com/acme"
    change = Event.objects.get(verb="review.rescheduled")
    assert change.after["duration_minutes"] == 90


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scheduled_at": NOW - dt.timedelta(hours=1)}, "scheduled_at"),
        ({"duration_minutes": 5}, "duration_minutes"),
    ],
)
def test_reschedule_refuses_bad_input_naming_the_field(world, review, changes, field):
    data = {"scheduled_at": at(dt.date(2026, 6, 10)), **changes}
    with pytest.raises(DomainError) as error:
        review_reschedule(review=review, actor=_vendor(world), now=NOW, **data)
    assert error.value.field == field


def test_only_vendor_staff_of_the_partner_reschedule(world, review):
    for role in ("partner_admin", "cm_unassigned"):
        with pytest.raises(DomainError):
            review_reschedule(
                review=review,
                actor=world.users[role],
                scheduled_at=at(dt.date(2026, 6, 10)),
                now=NOW,
            )


def test_cancel_sends_method_cancel(world, review, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = review_cancel(review=review, actor=_vendor(world), reason="Trade show week")

    assert cancelled.status == BusinessReview.Status.CANCELLED
    assert cancelled.sequence == 1
    assert len(mail.outbox) == 2
    assert "Trade show week" in mail.outbox[0].body
    _name, content, mimetype = mail.outbox[0].attachments[0]
    assert mimetype == "text/calendar; method=CANCEL"
    method, event = ics_event(content)
    assert method == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    with pytest.raises(InvalidTransitionError):
        review_cancel(review=cancelled, actor=_vendor(world), reason="again")


def test_cancel_needs_a_reason(world, review):
    with pytest.raises(DomainError) as error:
        review_cancel(review=review, actor=_vendor(world), reason="  ")
    assert error.value.field == "reason"


# Holding a review and its scorecard


def _period_activity(partner):
    """Activity inside the quarter a review on 4 June looks at (March to May), and outside."""
    line = DealLineFactory()
    product = Product.objects.create(sku="SW-1", name="Switch", line=line)
    for period, amount in (("2026-03", "1000"), ("2026-04", "1000"), ("2026-05", "2000")):
        Target.objects.create(
            partner=partner,
            period=period,
            currency="TWD",
            amount=Decimal(amount),
            status=Target.Status.AGREED,
            agreed_at=NOW,
        )
    for index, (day, amount) in enumerate(
        [(dt.date(2026, 3, 10), "1500"), (dt.date(2026, 5, 2), "1500"), (dt.date(2026, 6, 2), "99")]
    ):
        Sale.objects.create(
            external_id=f"S-{index}",
            partner=partner,
            product=product,
            customer_name="Customer",
            invoice_date=day,
            kind=Sale.Kind.SALE,
            quantity=Decimal("1"),
            net_amount=Decimal(amount),
            currency="TWD",
        )
    for period, status, total in (("2026-03", "paid", "120.00"), ("2026-04", "approved", "80.50")):
        year, month = (int(p) for p in period.split("-"))
        Statement.objects.create(
            partner=partner,
            period=period,
            period_start=dt.date(year, month, 1),
            period_end=dt.date(year, month, 28),
            currency="TWD",
            status=status,
            total=Decimal(total),
        )
    opened = at(dt.date(2026, 4, 1))

    def case(**extra):
        row = Case.objects.create(
            subject="Payout question",
            description="Why?",
            partner=partner,
            first_response_due=opened + dt.timedelta(hours=8),
            resolution_due=opened + dt.timedelta(days=3),
            **extra,
        )
        Case.objects.filter(pk=row.pk).update(created_at=opened)
        return row

    case(
        kind="payout",
        status="resolved",
        resolved_at=opened + dt.timedelta(days=1),
        first_responded_at=opened + dt.timedelta(hours=1),
    )
    case(
        kind="payout",
        status="resolved",
        resolved_at=opened + dt.timedelta(days=5),
        first_responded_at=opened + dt.timedelta(hours=1),
    )
    case(kind="compliance", incident="map_violation", severity="high", penalty=Decimal("500"))
    deal = DealRegistrationFactory(partner=partner, product_lines=[line])
    DealRegistration.objects.filter(pk=deal.pk).update(
        created_at=opened,
        status="approved",
        decided_at=opened,
        protected_until=dt.date(2026, 6, 30),
    )
    rejected = DealRegistrationFactory(partner=partner, product_lines=[line])
    DealRegistration.objects.filter(pk=rejected.pk).update(
        created_at=opened, status="rejected", decided_at=opened
    )


def test_hold_freezes_the_scorecard_and_schedules_the_next(world, review):
    _period_activity(world.partner)
    held_on = at(dt.date(2026, 6, 4), 11)

    held = review_hold(review=review, actor=_vendor(world), now=held_on)

    assert held.status == BusinessReview.Status.HELD
    assert held.held_at == held_on
    assert review_period(held) == (dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    card = BusinessReview.objects.get(pk=held.pk).scorecard
    assert card["period_start"] == "2026-03-01"
    assert card["period_end"] == "2026-05-31"
    assert card["sales"]["target"] == "4000.00"
    assert card["sales"]["actual"] == "3000.00"
    assert card["sales"]["attainment"] == "75.0"
    assert [m["period"] for m in card["sales"]["months"]] == ["2026-03", "2026-04", "2026-05"]
    assert card["payouts"]["statements"] == 2
    assert card["payouts"]["by_status"] == [
        {"status": "approved", "currency": "TWD", "count": 1, "total": "80.50"},
        {"status": "paid", "currency": "TWD", "count": 1, "total": "120.00"},
    ]
    assert card["disputes"]["opened"] == 2
    assert card["disputes"]["resolved"] == 2
    assert card["disputes"]["breached"] == 1
    assert card["compliance"] == {
        "opened": 1,
        "open_now": 1,
        "high_severity": 1,
        "penalties": "500.00",
    }
    assert card["deals"] == {"submitted": 2, "approved": 1, "rejected": 1}

    nxt = world.partner.reviews.get(status=BusinessReview.Status.SCHEDULED)
    assert timezone.localtime(nxt.scheduled_at).date() == dt.date(2026, 9, 4)  # held + 3 months

    # The snapshot never changes afterwards.
    Statement.objects.create(
        partner=world.partner,
        period="2026-05",
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
        currency="TWD",
        status="draft",
        total=Decimal("1.00"),
    )
    assert BusinessReview.objects.get(pk=held.pk).scorecard == card


def test_hold_waits_for_the_day(world, review):
    with pytest.raises(DomainError):
        review_hold(review=review, actor=_vendor(world), now=NOW)
    with pytest.raises(DomainError):
        review_hold(review=review, actor=world.users["partner_admin"], now=review.scheduled_at)


# Notes


def test_notes_rule_both_sides_before_vendor_only_after(world, review):
    review_notes_update(review=review, actor=world.users["partner_admin"], notes="Agenda: Q2")
    review_notes_update(review=review, actor=_vendor(world), notes="Agenda: Q2, pricing")
    with pytest.raises(DomainError):
        review_notes_update(review=review, actor=world.users["partner_sales"], notes="x")
    with pytest.raises(DomainError):
        review_notes_update(review=review, actor=world.users["other_partner"], notes="x")

    review_hold(review=review, actor=_vendor(world), now=review.scheduled_at)
    with pytest.raises(DomainError):
        review_notes_update(review=review, actor=world.users["partner_admin"], notes="later")
    review_notes_update(review=review, actor=_vendor(world), notes="Minutes: agreed pricing")

    review.refresh_from_db()
    assert review.notes == "Minutes: agreed pricing"
    edits = Event.objects.filter(verb="review.notes_edited").order_by("id")
    assert [e.after["notes"] for e in edits] == [
        "Agenda: Q2",
        "Agenda: Q2, pricing",
        "Minutes: agreed pricing",
    ]
    assert edits[0].actor == world.users["partner_admin"]


# Action items


def test_action_items_by_both_sides(world, review, django_capture_on_commit_callbacks):
    due = timezone.localdate() + dt.timedelta(days=7)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vendor_item = action_item_add(
            review=review,
            actor=world.users["partner_admin"],
            title="Send the Q2 price list",
            owner=_vendor(world),
            due_on=due,
        )
        partner_item = action_item_add(
            review=review,
            actor=_vendor(world),
            title="Share the pipeline",
            owner=world.users["partner_sales"],
            due_on=due,
        )
    assert vendor_item.side == ActionItem.Side.VENDOR
    assert partner_item.side == ActionItem.Side.PARTNER
    assert {m.to[0] for m in mail.outbox} == {"cm@vendor.test", "sales@a.test"}

    # Finance may not tick someone else's item; the owner may, and may untick it.
    with pytest.raises(DomainError):
        action_item_toggle(item=partner_item, actor=world.users["partner_finance"])
    done = action_item_toggle(item=partner_item, actor=world.users["partner_sales"])
    assert done.done_at is not None
    assert done.done_by == world.users["partner_sales"]
    assert action_item_open_list(partners=Partner.objects.all()) == [vendor_item]
    reopened = action_item_toggle(item=partner_item, actor=world.users["partner_sales"])
    assert reopened.done_at is None
    assert reopened.done_by is None
    verbs = list(
        Event.objects.filter(verb__startswith="action_item.").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["action_item.added"] * 2 + ["action_item.done", "action_item.reopened"]


@pytest.mark.parametrize(
    ("owner_role", "due_days", "field"),
    [("other_partner", 5, "owner"), ("cm_unassigned", 5, "owner"), ("partner_sales", -1, "due_on")],
    ids=["owner-on-neither-side", "manager-of-other-partners", "due-in-the-past"],
)
def test_action_item_bad_input_names_the_field(world, review, owner_role, due_days, field):
    with pytest.raises(DomainError) as error:
        action_item_add(
            review=review,
            actor=_vendor(world),
            title="Follow up",
            owner=world.users[owner_role],
            due_on=timezone.localdate() + dt.timedelta(days=due_days),
        )
    assert error.value.field == field


def test_partner_sales_cannot_add_action_items(world, review):
    with pytest.raises(DomainError):
        action_item_add(
            review=review,
            actor=world.users["partner_sales"],
            title="Follow up",
            owner=world.users["partner_sales"],
            due_on=timezone.localdate() + dt.timedelta(days=5),
        )


# Reminders, with a frozen clock


def _run(now, capture):
    with capture(execute=True):
        return review_reminders_send(now=now)


def test_reminders_go_once_each_at_14_and_2_days_then_overdue(
    world, django_capture_on_commit_callbacks
):
    review = review_schedule_next(world.partner, now=NOW)
    review_schedule_next(world.other_partner, now=NOW)
    day = timezone.localdate(review.scheduled_at)  # 4 June
    mail.outbox.clear()

    def emails_for(pk):
        return [m for m in mail.outbox if f"/reviews/{pk}/" in m.body]

    # Fifteen days ahead: nothing yet.
    counts = _run(at(day - dt.timedelta(days=15), 7), django_capture_on_commit_callbacks)
    assert counts == {"scheduled": 0, "14d": 0, "2d": 0, "overdue": 0}
    assert mail.outbox == []

    # Fourteen days ahead, twice: one reminder to the account manager and the partner admin.
    for _ in range(2):
        _run(at(day - dt.timedelta(days=14), 7), django_capture_on_commit_callbacks)
    sent = emails_for(review.pk)
    assert {m.to[0] for m in sent} == {"cm@vendor.test", "admin@a.test"}
    assert all("in 14 days" in m.subject for m in sent)
    # Later days of the window do not send it again.
    _run(at(day - dt.timedelta(days=5), 7), django_capture_on_commit_callbacks)
    assert len(emails_for(review.pk)) == 2

    mail.outbox.clear()
    for _ in range(2):
        _run(at(day - dt.timedelta(days=2), 7), django_capture_on_commit_callbacks)
    assert len(emails_for(review.pk)) == 2
    assert all("in 2 days" in m.subject for m in emails_for(review.pk))

    mail.outbox.clear()
    for offset in (1, 1, 2):
        _run(at(day + dt.timedelta(days=offset), 7), django_capture_on_commit_callbacks)
    overdue = emails_for(review.pk)
    assert len(overdue) == 2
    assert all("overdue" in m.subject for m in overdue)
    assert set(review.reminders.values_list("kind", flat=True)) == {"14d", "2d", "overdue"}
    assert Event.objects.filter(verb="review.overdue", target_id=str(review.pk)).count() == 1


def test_reminders_to_a_partner_never_name_another_partner(
    world, django_capture_on_commit_callbacks
):
    review_schedule_next(world.partner, now=NOW)
    other = review_schedule_next(world.other_partner, now=NOW)
    mail.outbox.clear()
    day = timezone.localdate(other.scheduled_at)
    for offset in (-14, -2, 1):
        _run(at(day + dt.timedelta(days=offset), 7), django_capture_on_commit_callbacks)
    to_a = [m for m in mail.outbox if m.to == ["admin@a.test"]]
    to_b = [m for m in mail.outbox if m.to == ["admin@b.test"]]
    assert to_a
    assert to_b
    for message in to_a:
        text = message.subject + message.body + "".join(ics_attachments(message))
        assert "Bravo" not in text
        assert "P-B" not in text
    for message in to_b:
        text = message.subject + message.body + "".join(ics_attachments(message))
        assert "Acme" not in text
        assert "P-A" not in text


def test_a_held_or_rescheduled_review_is_not_flagged(
    world, review, django_capture_on_commit_callbacks
):
    day = timezone.localdate(review.scheduled_at)
    review_hold(review=review, actor=_vendor(world), now=at(day, 11))
    counts = _run(at(day + dt.timedelta(days=3), 7), django_capture_on_commit_callbacks)
    assert counts["overdue"] == 0
    assert not ReviewReminder.objects.filter(kind="overdue").exists()


def test_the_daily_run_schedules_missing_reviews(world, django_capture_on_commit_callbacks):
    PartnerFactory(status=Partner.Status.SUSPENDED)
    counts = _run(NOW, django_capture_on_commit_callbacks)
    assert counts["scheduled"] == 2  # both active partners of the world
    assert review_schedule_missing(now=NOW) == 0


def test_the_task_wraps_the_service(world):
    result = review_reminders_send_task.apply().get()
    assert result["scheduled"] == 2
    assert BusinessReview.objects.filter(status="scheduled").count() == 2


# Selectors for dashboards


def test_dashboard_selectors(world):
    now = timezone.now()
    upcoming = review_schedule_next(world.partner, now=now)
    late = review_schedule_next(world.other_partner, now=now)
    BusinessReview.objects.filter(pk=late.pk).update(scheduled_at=now - dt.timedelta(days=3))
    mine = Partner.objects.filter(pk=world.partner.pk)

    assert review_upcoming_list(partners=Partner.objects.all(), within_days=120) == [upcoming]
    assert review_upcoming_list(partners=mine, within_days=10) == []
    assert review_overdue_count(partners=Partner.objects.all()) == 1
    assert review_overdue_count(partners=mine) == 0
    item = action_item_add(
        review=upcoming,
        actor=_vendor(world),
        title="Plan",
        owner=world.users["partner_admin"],
        due_on=timezone.localdate(),
    )
    assert action_item_open_list(partners=mine, limit=5) == [item]
    assert action_item_open_list(partners=Partner.objects.filter(pk=world.other_partner.pk)) == []


def test_owner_choices_are_the_partners_members_and_the_staff_who_see_it(world):
    from partners.selectors.reviews import action_item_owner_choices

    choices = set(action_item_owner_choices(partner=world.partner))
    assert {world.users[r] for r in ("vendor_admin", "cm_assigned", "partner_admin")} <= choices
    assert world.users["cm_unassigned"] not in choices
    assert world.users["other_partner"] not in choices
