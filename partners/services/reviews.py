"""Business reviews: scheduling on the partner's cadence, rescheduling, cancelling and holding a
review (with its scorecard snapshot), shared notes, action items, and the daily reminders.

Each active partner has exactly one scheduled review at a time (a database constraint). The
next one is scheduled when the partner becomes active, when a review is held (held date plus
the cadence) and by the daily task for any active partner that has none. Invitations carry an
iCalendar attachment whose UID stays the same for the review and whose SEQUENCE grows with
every change, so calendar clients update their copy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record
from prm.notifications.models import Category
from prm.notifications.services import notify

from ..calendar import CANCEL, REQUEST, review_ics_attachment
from ..models import (
    CADENCE_MONTHS,
    ActionItem,
    BusinessReview,
    Cadence,
    Membership,
    Partner,
    ReviewReminder,
)
from ..notifications import partner_admins, vendor_contacts
from ..selectors.directory import partner_vendor_staff, partner_visible_queryset
from ..selectors.reviews import (
    add_months,
    local_day_start,
    review_cadence_for,
    review_scorecard_build,
)

# A review is never scheduled sooner than this, so both sides have time to prepare.
SCHEDULE_MIN_LEAD_DAYS = 14
# Reviews start at this local time on a weekday unless someone moves them.
DEFAULT_START = dt.time(10, 0)
DEFAULT_DURATION_MINUTES = 60
DURATION_RANGE = (15, 480)
# Reminders go out this many days before the review's day.
REMINDER_DAYS = {ReviewReminder.Kind.DAYS_14: 14, ReviewReminder.Kind.DAYS_2: 2}

VENDOR = "vendor"


def _actor_role(actor, partner: Partner) -> str | None:
    """ "vendor" for vendor staff who may see the partner, the membership role for its active
    members, else None."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    if actor.is_vendor_staff:
        visible = partner_visible_queryset(user=actor).filter(pk=partner.pk).exists()
        return VENDOR if visible else None
    return (
        Membership.objects.filter(partner=partner, user=actor, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def _require_vendor(actor, partner: Partner) -> None:
    if _actor_role(actor, partner) != VENDOR:
        raise DomainError(_("Only the partner's vendor staff can do this."))


def _locked(review: BusinessReview) -> BusinessReview:
    return (
        BusinessReview.objects.select_for_update(of=("self",))
        .select_related("partner", "partner__account_manager", "organiser")
        .get(pk=review.pk)
    )


def _review_url(review: BusinessReview) -> str:
    return reverse("review_detail", kwargs={"pk": review.pk})


def _recipients(review: BusinessReview) -> list[Any]:
    """The organiser (else the account manager, else the vendor admins) and the partner's
    admins."""
    organiser = review.organiser or review.partner.account_manager
    vendor_side = [organiser] if organiser is not None else vendor_contacts(review.partner)
    return [*vendor_side, *partner_admins(review.partner)]


def _context(review: BusinessReview, **extra) -> dict[str, Any]:
    return {
        "partner": review.partner.display_name,
        "code": review.partner.code,
        "scheduled_at": review.scheduled_at,
        "duration": review.duration_minutes,
        "location": review.location,
        "organiser": review.organiser.get_full_name() if review.organiser else "",
        **extra,
    }


def _notify(review: BusinessReview, template: str, *, method: str | None = None, **extra) -> None:
    notify(
        users=_recipients(review),
        category=Category.REVIEWS,
        template=f"partners/email/{template}",
        context=_context(review, **extra),
        url=_review_url(review),
        partner=review.partner,
        attachments=[review_ics_attachment(review, method=method)] if method else [],
    )


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def review_default_start(*, partner: Partner, after: dt.date, cadence: str, today: dt.date):
    """A cadence after `after`, at least SCHEDULE_MIN_LEAD_DAYS from today, on a weekday at
    DEFAULT_START in the project's time zone."""
    day = add_months(after, CADENCE_MONTHS[Cadence(cadence)])
    day = _weekday(max(day, today + dt.timedelta(days=SCHEDULE_MIN_LEAD_DAYS)))
    return timezone.make_aware(dt.datetime.combine(day, DEFAULT_START))


def review_schedule_next(
    partner: Partner,
    *,
    actor=None,
    after: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BusinessReview | None:
    """Schedule the partner's next review unless it has one or is not active; answers the
    scheduled review (new or existing). The date is a cadence after `after` (default: the last
    held review, else today); the organiser is the account manager. The invitation goes to the
    organiser and the partner's admins with the calendar file."""
    now = now or timezone.now()
    with transaction.atomic():
        partner = (
            Partner.objects.select_for_update(of=("self",))
            .select_related("account_manager")
            .get(pk=partner.pk)
        )
        if partner.status != Partner.Status.ACTIVE:
            return None
        existing = partner.reviews.filter(status=BusinessReview.Status.SCHEDULED).first()
        if existing is not None:
            return existing
        today = timezone.localdate(now)
        if after is None:
            last_held = (
                partner.reviews.filter(status=BusinessReview.Status.HELD)
                .order_by("-held_at")
                .values_list("held_at", flat=True)
                .first()
            )
            after = timezone.localdate(last_held) if last_held else today
        cadence = review_cadence_for(partner=partner, on=today)
        review = BusinessReview(
            partner=partner,
            scheduled_at=review_default_start(
                partner=partner, after=after, cadence=cadence, today=today
            ),
            duration_minutes=DEFAULT_DURATION_MINUTES,
            cadence=cadence,
            organiser=partner.account_manager,
        )
        review.full_clean()
        review.save()
        event_record(
            actor=actor,
            verb="review.scheduled",
            target=review,
            partner=partner,
            after={"scheduled_at": review.scheduled_at.isoformat(), "cadence": cadence},
        )
        _notify(review, "review_scheduled", method=REQUEST)
        return review


def review_schedule_missing(*, now: dt.datetime | None = None) -> int:
    """Schedule a review for every active partner that has none scheduled."""
    scheduled = BusinessReview.objects.filter(
        partner=OuterRef("pk"), status=BusinessReview.Status.SCHEDULED
    )
    missing = Partner.objects.filter(status=Partner.Status.ACTIVE).exclude(Exists(scheduled))
    created = 0
    for partner in missing.order_by("code"):
        if review_schedule_next(partner, now=now) is not None:
            created += 1
    return created


@transaction.atomic
def review_reschedule(
    *,
    review: BusinessReview,
    actor,
    scheduled_at: dt.datetime,
    duration_minutes: int | None = None,
    location: str | None = None,
    now: dt.datetime | None = None,
) -> BusinessReview:
    """Move a scheduled review (date and time, duration, place or meeting link). The invitation
    goes again with the next SEQUENCE; reminders start over for the new date."""
    now = now or timezone.now()
    _require_vendor(actor, review.partner)
    review = _locked(review)
    if review.status != BusinessReview.Status.SCHEDULED:
        raise InvalidTransitionError(
            _("This review is %(status)s; only a scheduled review can be moved.")
            % {"status": review.get_status_display()}
        )
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at)
    if scheduled_at <= now:
        raise DomainError(_("Choose a date and time in the future."), field="scheduled_at")
    duration = review.duration_minutes if duration_minutes is None else duration_minutes
    if not DURATION_RANGE[0] <= duration <= DURATION_RANGE[1]:
        raise DomainError(
            _("A review lasts between %(low)s and %(high)s minutes.")
            % {"low": DURATION_RANGE[0], "high": DURATION_RANGE[1]},
            field="duration_minutes",
        )
    place = review.location if location is None else location.strip()
    before = {
        "scheduled_at": review.scheduled_at.isoformat(),
        "duration_minutes": review.duration_minutes,
        "location": review.location,
    }
    moved = scheduled_at != review.scheduled_at
    if not moved and duration == review.duration_minutes and place == review.location:
        return review
    review.scheduled_at = scheduled_at
    review.duration_minutes = duration
    review.location = place
    review.sequence += 1
    review.full_clean()
    review.save(
        update_fields=["scheduled_at", "duration_minutes", "location", "sequence", "updated_at"]
    )
    if moved:
        review.reminders.all().delete()
    event_record(
        actor=actor,
        verb="review.rescheduled",
        target=review,
        partner=review.partner,
        before=before,
        after={
            "scheduled_at": review.scheduled_at.isoformat(),
            "duration_minutes": review.duration_minutes,
            "location": review.location,
        },
    )
    _notify(review, "review_rescheduled", method=REQUEST)
    return review


@transaction.atomic
def review_cancel(*, review: BusinessReview, actor, reason: str) -> BusinessReview:
    """Cancel a scheduled review; attendees get METHOD:CANCEL. The daily task schedules the
    next one on the cadence."""
    _require_vendor(actor, review.partner)
    review = _locked(review)
    if review.status != BusinessReview.Status.SCHEDULED:
        raise InvalidTransitionError(
            _("This review is %(status)s; only a scheduled review can be cancelled.")
            % {"status": review.get_status_display()}
        )
    if not reason.strip():
        raise DomainError(_("Give a reason the partner will see."), field="reason")
    review.status = BusinessReview.Status.CANCELLED
    review.sequence += 1
    review.save(update_fields=["status", "sequence", "updated_at"])
    event_record(
        actor=actor,
        verb="review.cancelled",
        target=review,
        partner=review.partner,
        before={"status": BusinessReview.Status.SCHEDULED},
        after={"status": review.status, "scheduled_at": review.scheduled_at.isoformat()},
        reason=reason.strip(),
    )
    _notify(review, "review_cancelled", method=CANCEL, reason=reason.strip())
    return review


def review_hold(*, review: BusinessReview, actor, now: dt.datetime | None = None) -> BusinessReview:
    """Mark a scheduled review held once its day has come: the scorecard is frozen as it stands
    now and the next review is scheduled a cadence after today."""
    now = now or timezone.now()
    with transaction.atomic():
        _require_vendor(actor, review.partner)
        review = _locked(review)
        if review.status != BusinessReview.Status.SCHEDULED:
            raise InvalidTransitionError(
                _("This review is %(status)s; only a scheduled review can be marked held.")
                % {"status": review.get_status_display()}
            )
        today = timezone.localdate(now)
        if timezone.localdate(review.scheduled_at) > today:
            raise DomainError(
                _(
                    "This review is set for %(date)s. Mark it held on or after that day, or "
                    "move it to today first."
                )
                % {"date": date_format(timezone.localtime(review.scheduled_at).date())}
            )
        review.status = BusinessReview.Status.HELD
        review.held_at = now
        review.scorecard = review_scorecard_build(review=review, now=now)
        review.save(update_fields=["status", "held_at", "scorecard", "updated_at"])
        event_record(
            actor=actor,
            verb="review.held",
            target=review,
            partner=review.partner,
            before={"status": BusinessReview.Status.SCHEDULED},
            after={"status": review.status, "held_at": now.isoformat()},
        )
        review_schedule_next(review.partner, actor=actor, after=today, now=now)
    return review


def review_can_edit_notes(*, review: BusinessReview, role: str | None) -> bool:
    """Both sides (vendor staff, partner admins) write the notes while the review is scheduled;
    once held only vendor staff may correct them; a cancelled review's notes are final."""
    if review.status == BusinessReview.Status.SCHEDULED:
        return role in (VENDOR, Membership.Role.ADMIN)
    if review.status == BusinessReview.Status.HELD:
        return role == VENDOR
    return False


@transaction.atomic
def review_notes_update(*, review: BusinessReview, actor, notes: str) -> BusinessReview:
    """Replace the shared notes; the previous text stays in the history."""
    role = _actor_role(actor, review.partner)
    review = _locked(review)
    if not review_can_edit_notes(review=review, role=role):
        raise DomainError(_("You cannot edit the notes of this review."))
    notes = notes.strip()
    if notes == review.notes:
        return review
    before = review.notes
    review.notes = notes
    review.save(update_fields=["notes", "updated_at"])
    event_record(
        actor=actor,
        verb="review.notes_edited",
        target=review,
        partner=review.partner,
        before={"notes": before},
        after={"notes": notes},
    )
    return review


def action_item_side(*, owner, partner: Partner) -> str | None:
    """Vendor for active vendor staff, partner for the partner's active members, else None."""
    if owner is None or not owner.is_active:
        return None
    if owner.is_vendor_staff:
        visible = partner_vendor_staff(partner=partner).filter(pk=owner.pk).exists()
        return ActionItem.Side.VENDOR if visible else None
    if Membership.objects.filter(partner=partner, user=owner, is_active=True).exists():
        return ActionItem.Side.PARTNER
    return None


@transaction.atomic
def action_item_add(
    *,
    review: BusinessReview,
    actor,
    title: str,
    owner,
    due_on: dt.date,
    today: dt.date | None = None,
) -> ActionItem:
    """Add an action item with an owner on either side and a due date; the owner is told."""
    today = today or timezone.localdate()
    role = _actor_role(actor, review.partner)
    if role not in (VENDOR, Membership.Role.ADMIN):
        raise DomainError(_("Only vendor staff and the partner's admins add action items."))
    review = _locked(review)
    if review.status == BusinessReview.Status.CANCELLED:
        raise InvalidTransitionError(_("This review was cancelled."))
    title = title.strip()
    if not title:
        raise DomainError(_("Say what is to be done."), field="title")
    side = action_item_side(owner=owner, partner=review.partner)
    if side is None:
        raise DomainError(
            _("The owner must be vendor staff or an active user of %(partner)s.")
            % {"partner": review.partner.display_name},
            field="owner",
        )
    if due_on < today:
        raise DomainError(_("The due date is in the past."), field="due_on")
    item = ActionItem(
        review=review, partner=review.partner, title=title, side=side, owner=owner, due_on=due_on
    )
    item.full_clean()
    item.save()
    event_record(
        actor=actor,
        verb="action_item.added",
        target=item,
        partner=review.partner,
        after={
            "title": item.title,
            "owner": owner.get_full_name(),
            "side": side,
            "due_on": due_on.isoformat(),
        },
    )
    if owner.pk != getattr(actor, "pk", None):
        notify(
            users=[owner],
            category=Category.REVIEWS,
            template="partners/email/action_item_assigned",
            context={
                "partner": review.partner.display_name,
                "title": item.title,
                "due_on": due_on,
                "scheduled_at": review.scheduled_at,
            },
            url=_review_url(review),
            partner=review.partner,
        )
    return item


@transaction.atomic
def action_item_raise(*, partner: Partner, title: str, now: dt.datetime | None = None):
    """Put an item raised by the portal itself (a low pulse score) on the partner's next
    business review, scheduling that review if none is, owned by the account manager and due
    on the review's day; the owner is told. Answers None when the partner has no review to come
    (not active)."""
    review = review_schedule_next(partner, now=now)
    if review is None:
        return None
    owner = partner.account_manager
    item = ActionItem(
        review=review,
        partner=review.partner,
        title=title[:255],
        side=ActionItem.Side.VENDOR,
        owner=owner,
        due_on=timezone.localdate(review.scheduled_at),
    )
    item.full_clean()
    item.save()
    event_record(
        actor=None,
        verb="action_item.added",
        target=item,
        partner=review.partner,
        after={
            "title": item.title,
            "owner": owner.get_full_name() if owner else "",
            "side": item.side,
            "due_on": item.due_on.isoformat(),
        },
    )
    notify(
        users=[owner] if owner is not None else vendor_contacts(review.partner),
        category=Category.REVIEWS,
        template="partners/email/action_item_assigned",
        context={
            "partner": review.partner.display_name,
            "title": item.title,
            "due_on": item.due_on,
            "scheduled_at": review.scheduled_at,
        },
        url=_review_url(review),
        partner=review.partner,
        channels=False,
    )
    return item


def action_item_can_toggle(*, item: ActionItem, role: str | None, user) -> bool:
    """Vendor staff and partner admins tick any item; other partner users their own."""
    if role in (VENDOR, Membership.Role.ADMIN):
        return True
    return role is not None and item.owner_id == getattr(user, "pk", None)


@transaction.atomic
def action_item_toggle(
    *, item: ActionItem, actor, done: bool | None = None, now: dt.datetime | None = None
) -> ActionItem:
    """Tick an action item off (or reopen it); `done=None` flips it."""
    now = now or timezone.now()
    role = _actor_role(actor, item.partner)
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("owner", "done_by", "partner", "review")
        .get(pk=item.pk)
    )
    if not action_item_can_toggle(item=item, role=role, user=actor):
        raise DomainError(_("Only the owner, the partner's admins and vendor staff tick this."))
    if item.review.status == BusinessReview.Status.CANCELLED:
        raise InvalidTransitionError(_("This review was cancelled."))
    done = item.done_at is None if done is None else done
    if done == (item.done_at is not None):
        return item
    item.done_at = now if done else None
    item.done_by = actor if done else None
    item.save(update_fields=["done_at", "done_by", "updated_at"])
    event_record(
        actor=actor,
        verb="action_item.done" if done else "action_item.reopened",
        target=item,
        partner=item.partner,
        after={"title": item.title},
    )
    return item


def _reminder_kind(review: BusinessReview, today: dt.date) -> str | None:
    days_left = (timezone.localdate(review.scheduled_at) - today).days
    if days_left < 0:
        return ReviewReminder.Kind.OVERDUE
    if days_left <= REMINDER_DAYS[ReviewReminder.Kind.DAYS_2]:
        return ReviewReminder.Kind.DAYS_2
    if days_left <= REMINDER_DAYS[ReviewReminder.Kind.DAYS_14]:
        return ReviewReminder.Kind.DAYS_14
    return None


def review_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily run: schedule missing reviews, remind the organiser and the partner's admins 14
    and 2 days ahead, and flag overdue reviews. Each (review, kind) goes once: the reminder row
    is inserted in the same transaction as the notification, under the review's row lock, so a
    second or concurrent run finds it and sends nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"scheduled": review_schedule_missing(now=now)}
    counts.update(dict.fromkeys(ReviewReminder.Kind.values, 0))
    horizon = local_day_start(today + dt.timedelta(days=REMINDER_DAYS["14d"] + 1))
    due = BusinessReview.objects.filter(
        status=BusinessReview.Status.SCHEDULED, scheduled_at__lt=horizon
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            review = _locked(BusinessReview(pk=pk))
            if review.status != BusinessReview.Status.SCHEDULED:
                continue
            kind = _reminder_kind(review, today)
            if kind is None:
                continue
            _reminder, created = ReviewReminder.objects.get_or_create(review=review, kind=kind)
            if not created:
                continue
            days_left = (timezone.localdate(review.scheduled_at) - today).days
            if kind == ReviewReminder.Kind.OVERDUE:
                event_record(
                    actor=None,
                    verb="review.overdue",
                    target=review,
                    partner=review.partner,
                    after={"scheduled_at": review.scheduled_at.isoformat()},
                )
                _notify(review, "review_overdue", days_late=-days_left)
            else:
                _notify(review, "review_reminder", days_left=days_left)
            counts[kind] += 1
    return counts
