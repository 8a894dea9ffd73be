"""Demo business reviews: a scheduled review for each active demo partner (the second one's in ten
days, inside the reminder window), and for the first one a review held two months ago with notes
and action items (one done). Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import BusinessReview, Partner
from .services.reviews import (
    action_item_add,
    action_item_toggle,
    review_hold,
    review_notes_update,
    review_reschedule,
    review_schedule_next,
)

DEMO_PARTNERS = ["P-FORMOSA", "P-HARBOUR"]
HELD_NOTES = (
    "Q3 networking sales reached 92% of target; the Kaohsiung campus deals carried the quarter.\n"
    "Security line below plan: the partner asks for two more pre-sales trainings.\n"
    "Payout statement for July approved; no open payout questions."
)


def _weekday_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def seed_demo_reviews(*, manager) -> None:
    """Make sure each active demo partner has a scheduled review and the first one a held review
    with action items."""
    partners = list(
        Partner.objects.filter(code__in=DEMO_PARTNERS, status=Partner.Status.ACTIVE)
        .select_related("account_manager")
        .order_by("code")
    )
    for index, partner in enumerate(partners):
        if index == 0 and not partner.reviews.filter(status=BusinessReview.Status.HELD).exists():
            _held_review(partner, manager)
        upcoming = review_schedule_next(partner, actor=manager)
        if index == 1 and upcoming is not None:
            _bring_forward(upcoming, manager)


def _bring_forward(review: BusinessReview, manager) -> None:
    """The second partner's review falls within the reminder window, so the demo's worker sends
    the 14-day reminder on its first sweep."""
    soon = _weekday_before(timezone.localdate() + dt.timedelta(days=10))
    if timezone.localdate(review.scheduled_at) <= soon:
        return
    review_reschedule(
        review=review,
        actor=manager,
        scheduled_at=timezone.make_aware(dt.datetime.combine(soon, dt.time(10, 0))),
        location="Hong Kong office, meeting room B",
    )


def _held_review(partner: Partner, manager) -> None:
    held_on = _weekday_before(timezone.localdate() - dt.timedelta(days=60))
    held_at = timezone.make_aware(dt.datetime.combine(held_on, dt.time(11, 0)))
    review = review_schedule_next(partner, actor=manager)
    if review is None:
        return
    # The demo starts with history: the review that was already scheduled took place earlier.
    BusinessReview.objects.filter(pk=review.pk).update(
        scheduled_at=held_at - dt.timedelta(hours=1), location="Taipei office, room 3"
    )
    review.refresh_from_db()
    review_notes_update(review=review, actor=manager, notes=HELD_NOTES)
    admin = partner.memberships.filter(role="admin", is_active=True).select_related("user").first()
    sales = partner.memberships.filter(role="sales", is_active=True).select_related("user").first()
    items = [
        ("Send the updated security price list", manager, 14),
        ("Book two pre-sales trainings for the security line", manager, 30),
    ]
    if admin is not None:
        items.append(("Share the Q4 pipeline forecast", admin.user, 21))
    if sales is not None:
        items.append(("Register the Kaohsiung hospital opportunity", sales.user, 7))
    created = [
        action_item_add(
            review=review,
            actor=manager,
            title=title,
            owner=owner,
            due_on=held_on + dt.timedelta(days=days),
            today=held_on,
        )
        for title, owner, days in items
    ]
    review_hold(review=review, actor=manager, now=held_at)
    action_item_toggle(
        item=created[0], actor=manager, done=True, now=held_at + dt.timedelta(days=5)
    )
