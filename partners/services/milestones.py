"""Milestones worth celebrating: recorded once each, both sides congratulated, shown as badges on
the partner's page. The unique (partner, kind, key) constraint makes every hook and the daily
check safe to run twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from prm.core.events import event_record
from prm.core.models import Event
from prm.notifications.models import Category
from prm.notifications.services import notify

from ..models import DealRegistration, Membership, Milestone, Partner, PartnerAward
from ..notifications import vendor_contacts
from ..periods import period_of, period_shift
from ..selectors.targets import partner_attainment_annotate


def _congratulate(milestone: Milestone) -> None:
    """One message to the partner's active members and its vendor contacts, in each one's
    language; it names only the partner concerned."""
    partner = milestone.partner
    members = [
        m.user
        for m in Membership.objects.filter(
            partner=partner, is_active=True, user__is_active=True
        ).select_related("user")
    ]
    notify(
        users=[*members, *vendor_contacts(partner)],
        category=Category.RECOGNITION,
        template="partners/email/milestone_achieved",
        context={"milestone": milestone, "partner": partner},
        url=reverse("partner_detail", kwargs={"code": partner.code}),
        partner=partner,
    )


def milestone_record(
    *,
    partner: Partner,
    kind: str,
    key: str,
    achieved_on: dt.date,
    detail: dict[str, Any] | None = None,
) -> Milestone | None:
    """Record the milestone unless it already exists; only a new one records an event and
    congratulates both sides. Returns the new milestone, or None when it was already there
    (also when a concurrent run inserted it first)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                milestone = Milestone.objects.create(
                    partner=partner,
                    kind=kind,
                    key=str(key),
                    achieved_on=achieved_on,
                    detail=detail or {},
                )
        except IntegrityError:
            return None
        event_record(
            actor=None,
            verb="milestone.achieved",
            target=partner,
            partner=partner,
            after={"kind": kind, "key": str(key), "achieved_on": achieved_on, **(detail or {})},
        )
        _congratulate(milestone)
    return milestone


def milestone_first_deal(*, deal: DealRegistration) -> Milestone | None:
    """After an approval: the partner's first approved registration is a milestone (one that
    was approved before, even if its protection has ended since, means this is not the first)."""
    earlier = (
        DealRegistration.objects.filter(partner_id=deal.partner_id, decided_at__isnull=False)
        .filter(status__in=[DealRegistration.Status.APPROVED, DealRegistration.Status.EXPIRED])
        .exclude(pk=deal.pk)
    )
    if earlier.exists():
        return None
    return milestone_record(
        partner=deal.partner,
        kind=Milestone.Kind.FIRST_DEAL,
        key="1",
        achieved_on=timezone.localdate(deal.decided_at),
        detail={"number": deal.number},
    )


def milestone_award(*, grant: PartnerAward) -> Milestone | None:
    award = grant.award
    return milestone_record(
        partner=grant.partner,
        kind=Milestone.Kind.AWARD,
        key=str(grant.pk),
        achieved_on=grant.awarded_on,
        detail={"award": award.name, "local_award": award.local_name, "award_kind": award.kind},
    )


def milestone_award_withdraw(*, grant: PartnerAward) -> None:
    """A withdrawn award is no longer celebrated on the profile."""
    Milestone.objects.filter(
        partner_id=grant.partner_id, kind=Milestone.Kind.AWARD, key=str(grant.pk)
    ).delete()


def _targets_reached(today: dt.date) -> int:
    """Active partners whose sales reached the agreed target of this month or last month: one
    query per period, whatever the number of partners."""
    recorded = 0
    this_month = period_of(today)
    for period in (period_shift(this_month, -1), this_month):
        already = Milestone.objects.filter(
            partner=OuterRef("pk"), kind=Milestone.Kind.TARGET_REACHED, key=period
        )
        reached = (
            partner_attainment_annotate(
                Partner.objects.filter(status=Partner.Status.ACTIVE), period=period
            )
            .filter(attainment__gte=100)
            .exclude(Exists(already))
            .order_by("pk")
        )
        for partner in reached:
            milestone = milestone_record(
                partner=partner,
                kind=Milestone.Kind.TARGET_REACHED,
                key=period,
                achieved_on=today,
                detail={
                    "period": period,
                    "target": str(partner.current_target),
                    "sales": str(partner.current_sales),
                    "currency": partner.currency,
                },
            )
            recorded += milestone is not None
    return recorded


def _anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one
        return start.replace(year=start.year + years, day=28)


def partner_activation_annotate(partners):
    """Annotate `activated_at`: when the partner first became active (its first status change
    to active), else when it was created (partners created active, e.g. by the program file)."""
    first_active = (
        Event.objects.filter(
            partner=OuterRef("pk"), verb="partner.status_changed", after__status="active"
        )
        .order_by()
        .values("partner")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    return partners.annotate(
        activated_at=Coalesce(Subquery(first_active, output_field=DateTimeField()), F("created_at"))
    )


def _anniversaries(today: dt.date) -> int:
    """Active partners that completed another year of partnership: two queries for all."""
    partners = list(
        partner_activation_annotate(Partner.objects.filter(status=Partner.Status.ACTIVE))
        .filter(activated_at__lte=_day_end(today - dt.timedelta(days=365)))
        .order_by("pk")
    )
    if not partners:
        return 0
    have = set(
        Milestone.objects.filter(
            kind=Milestone.Kind.ANNIVERSARY, partner__in=[p.pk for p in partners]
        ).values_list("partner_id", "key")
    )
    recorded = 0
    for partner in partners:
        start = timezone.localdate(partner.activated_at)
        years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
        if years < 1 or (partner.pk, str(years)) in have:
            continue
        milestone = milestone_record(
            partner=partner,
            kind=Milestone.Kind.ANNIVERSARY,
            key=str(years),
            achieved_on=_anniversary(start, years),
            detail={"years": years, "since": start.isoformat()},
        )
        recorded += milestone is not None
    return recorded


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def milestones_check(*, today: dt.date | None = None) -> int:
    """Daily: targets reached (this month and last) and partnership anniversaries. Safe to run
    twice: each milestone is recorded, and celebrated, once. Returns the number recorded."""
    today = today or timezone.localdate()
    return _targets_reached(today) + _anniversaries(today)
