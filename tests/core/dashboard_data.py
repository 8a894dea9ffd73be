"""Rows the dashboards read, for one partner: deals, target proposals both ways, cases in every SLA
state, statements, agreements, a scheduled review with action items, announcements, a fund with
requests and claims, price-protection claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from agreements.models import Agreement
from commissions.models import Statement
from disputes.models import Case
from funds.models import Fund, FundBudget, FundClaim, FundRequest, PriceProtectionClaim
from partners.models import (
    ActionItem,
    Announcement,
    AnnouncementRead,
    AnnouncementRecipient,
    BusinessReview,
    Partner,
    Target,
    TargetProposal,
)
from partners.periods import current_period, period_bounds, period_shift
from tests.agreements.factories import ProductFactory
from tests.partners.factories import DealRegistrationFactory


def _case(partner: Partner, *, now: dt.datetime, age_days: int, raised_by=None, **fields) -> Case:
    values = {
        "kind": Case.Kind.OTHER,
        "subject": f"Question {age_days}",
        "description": "Please check.",
        "partner": partner,
        "raised_by": raised_by,
        "first_response_due": now + dt.timedelta(hours=8),
        "resolution_due": now + dt.timedelta(days=10),
        **fields,
    }
    case = Case.objects.create(**values)
    Case.objects.filter(pk=case.pk).update(created_at=now - dt.timedelta(days=age_days))
    return case


def seed_partner(
    partner: Partner,
    *,
    now: dt.datetime,
    copies: int = 1,
    raised_by=None,
    reader=None,
    review_overdue: bool = False,
) -> None:
    """`copies` sets of rows for `partner`; `raised_by` raises the cases, `reader` has read one
    announcement of each set. The one scheduled review is overdue or a week ahead."""
    today = timezone.localdate(now)
    BusinessReview.objects.create(
        partner=partner,
        scheduled_at=now + dt.timedelta(days=-2 if review_overdue else 7),
        location="Taipei office",
    )
    for k in range(copies):
        DealRegistrationFactory.create_batch(2, partner=partner)
        for offset, side in ((1 + 2 * k, "partner"), (2 + 2 * k, "vendor")):
            target = Target.objects.create(
                partner=partner, period=period_shift(current_period(), offset), currency="TWD"
            )
            TargetProposal.objects.create(target=target, side=side, amount=Decimal("5000"))
        # Breached: no first response past its due time.
        _case(
            partner,
            now=now,
            age_days=2 + k,
            raised_by=raised_by,
            first_response_due=now - dt.timedelta(hours=1),
        )
        # Escalated and past the resolution deadline.
        _case(
            partner,
            now=now,
            age_days=20 + k,
            first_responded_at=now - dt.timedelta(days=19),
            first_response_due=now - dt.timedelta(days=19),
            resolution_due=now - dt.timedelta(days=1),
            escalated_at=now - dt.timedelta(days=1),
            status=Case.Status.IN_PROGRESS,
        )
        # Within its deadlines; and one resolved.
        _case(partner, now=now, age_days=0, raised_by=raised_by)
        _case(
            partner,
            now=now,
            age_days=30,
            status=Case.Status.RESOLVED,
            resolved_at=now,
            first_response_due=now - dt.timedelta(days=29),
            resolution_due=now - dt.timedelta(days=20),
        )
        for j, status in enumerate(("paid", "approved", "draft")):
            period = period_shift("2025-01", 3 * k + j)
            start, end = period_bounds(period)
            Statement.objects.create(
                partner=partner,
                period=period,
                period_start=start,
                period_end=end,
                currency="TWD",
                status=status,
                total=Decimal(1000 * (j + 1) + k),
            )
        Agreement.objects.create(
            number=f"AG-{partner.code}-{k}-E",
            partner=partner,
            status=Agreement.Status.EXPIRING,
            start=today - dt.timedelta(days=300),
            end=today + dt.timedelta(days=30 + k),
        )
        Agreement.objects.create(
            number=f"AG-{partner.code}-{k}-A",
            partner=partner,
            status=Agreement.Status.ACTIVE,
            start=today - dt.timedelta(days=30),
            end=today + dt.timedelta(days=400),
        )
        held = BusinessReview.objects.create(
            partner=partner,
            scheduled_at=now - dt.timedelta(days=90 + k),
            status=BusinessReview.Status.HELD,
            held_at=now - dt.timedelta(days=90 + k),
        )
        for days, done in ((-3, False), (10, False), (5, True)):
            ActionItem.objects.create(
                review=held,
                partner=partner,
                title=f"Follow up {k} {days}",
                side=ActionItem.Side.PARTNER if days < 0 else ActionItem.Side.VENDOR,
                owner=raised_by,
                due_on=today + dt.timedelta(days=days),
                done_at=now if done else None,
            )
        news = Announcement.objects.create(
            title=f"New switch family {partner.code} {k}",
            body="Out now.",
            category=Announcement.Category.PRODUCT_UPDATE,
            published_at=now - dt.timedelta(hours=k + 1),
            recipient_total=1,
        )
        price = Announcement.objects.create(
            title=f"Price change {partner.code} {k}",
            body="From next month.",
            category=Announcement.Category.PRICE_CHANGE,
            requires_acknowledgement=True,
            acknowledge_by=today + dt.timedelta(days=5),
            published_at=now - dt.timedelta(hours=k + 2),
            recipient_total=1,
        )
        AnnouncementRecipient.objects.create(announcement=news, partner=partner)
        AnnouncementRecipient.objects.create(announcement=price, partner=partner)
        if reader is not None:
            AnnouncementRead.objects.create(announcement=news, user=reader)
        _funds(partner, today=today, k=k)


def _funds(partner: Partner, *, today: dt.date, k: int) -> None:
    """A fund of the partner with a request awaiting a decision and an approved one claimed
    (awaiting review); two price-protection claims, one to declare and one awaiting review."""
    fund = Fund.objects.create(
        code=f"mdf-{partner.code.lower()}-{k}",
        name=f"Fund {k}",
        partner=partner,
        amount=Decimal("10000.00"),
        start=today - dt.timedelta(days=30),
        end=today + dt.timedelta(days=60 + k),
        share=Decimal("50"),
        claim_days=30,
    )
    budget = FundBudget.objects.create(
        fund=fund, partner=partner, amount=fund.amount, currency="TWD"
    )
    activity = {
        "budget": budget,
        "kind": "event",
        "description": "Seminar",
        "start": today - dt.timedelta(days=10),
        "end": today - dt.timedelta(days=5),
        "planned_cost": Decimal("2000.00"),
        "amount": Decimal("1000.00"),
        "deadline": today + dt.timedelta(days=25),
    }
    FundRequest.objects.create(**activity)
    approved = FundRequest.objects.create(
        **activity, status=FundRequest.Status.APPROVED, approved_amount=Decimal("1000.00")
    )
    FundClaim.objects.create(
        request=approved, actual_cost=Decimal("1800.00"), reimbursement=Decimal("900.00")
    )
    product = ProductFactory(sku=f"PP-{partner.code}-{k}")
    for days, status in ((1, "open"), (2, "submitted")):
        PriceProtectionClaim.objects.create(
            partner=partner,
            product=product,
            effective_date=today - dt.timedelta(days=days),
            trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
            previous_net_price=Decimal("900.00"),
            new_net_price=Decimal("800.00"),
            currency="TWD",
            protection_days=30,
            deadline=today + dt.timedelta(days=20 + k),
            status=status,
        )
