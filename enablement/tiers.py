"""The tier rule, evaluated set-based: a fixed number of queries for any number of partners.

For partner P on date D: revenue over the 12 months before D (sales minus returns, by invoice
date), distinct current members holding each certification valid on D, and compliance incidents
not closed on D. P's qualified tier is the highest-rank tier whose requirements all hold.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, DecimalField, F, Q, Sum, When

from commissions.models import Sale
from disputes.models import Case
from partners.models import Membership, Partner, Tier

from .dates import add_months
from .models import TierCertificationRequirement

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass
class Rule:
    tier: Tier
    revenue_12m: Decimal | None = None
    max_open_incidents: int | None = None
    certifications: dict[str, int] = field(default_factory=dict)


@dataclass
class Facts:
    revenue_12m: Decimal
    certified: dict[str, int]
    open_incidents: int


def _rules() -> list[Rule]:
    """Every tier with its requirements, highest rank first (2 queries)."""
    rules = {}
    for tier in Tier.objects.select_related("rule").order_by("-rank", "code"):
        rule = getattr(tier, "rule", None)
        rules[tier.pk] = Rule(
            tier=tier,
            revenue_12m=rule.revenue_12m if rule else None,
            max_open_incidents=rule.max_open_incidents if rule else None,
        )
    for row in TierCertificationRequirement.objects.values(
        "requirements__tier_id", "certification__code", "count"
    ):
        rules[row["requirements__tier_id"]].certifications[row["certification__code"]] = row[
            "count"
        ]
    return list(rules.values())


def revenue_window(on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[D minus one year (29 Feb → 28 Feb), D)."""
    return add_months(on, -12), on


def _revenue(on: datetime.date, partner_ids) -> dict[int, Decimal]:
    start, end = revenue_window(on)
    signed = models.Case(
        When(kind=Sale.Kind.RETURN, then=-F("net_amount")),
        default=F("net_amount"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    rows = (
        Sale.objects.filter(invoice_date__gte=start, invoice_date__lt=end)
        .filter(_scope("partner_id", partner_ids))
        .values("partner_id")
        .annotate(total=Sum(signed))
        .values_list("partner_id", "total")
        .order_by()
    )
    return dict(rows)


def _certified(on: datetime.date, partner_ids) -> dict[int, dict[str, int]]:
    rows = (
        Membership.objects.filter(
            _scope("partner_id", partner_ids),
            is_active=True,
            user__certificates__earned__lte=on,
            user__certificates__expires__gt=on,
        )
        .values("partner_id", "user__certificates__certification__code")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[row["partner_id"]][row["user__certificates__certification__code"]] = row["n"]
    return out


def _open_incidents(on: datetime.date, partner_ids) -> dict[int, int]:
    closed_by_then = Q(
        status=Case.Status.CLOSED,
        status_changes__to_status=Case.Status.CLOSED,
        status_changes__created_at__date__lte=on,
    )
    closed_ids = Case.objects.filter(closed_by_then).values("pk")
    rows = (
        Case.objects.filter(
            _scope("partner_id", partner_ids),
            kind=Case.Kind.COMPLIANCE,
            created_at__date__lte=on,
        )
        .exclude(pk__in=closed_ids)
        .values("partner_id")
        .annotate(n=Count("pk"))
        .values_list("partner_id", "n")
        .order_by()
    )
    return dict(rows)


def _scope(column: str, partner_ids) -> Q:
    return Q() if partner_ids is None else Q(**{f"{column}__in": partner_ids})


def _gaps(rule: Rule, facts: Facts) -> list[dict]:
    gaps = []
    if rule.revenue_12m is not None:
        gaps.append(
            {
                "requirement": "revenue_12m",
                "required": str(rule.revenue_12m.quantize(CENT)),
                "actual": str(facts.revenue_12m),
                "met": facts.revenue_12m >= rule.revenue_12m,
            }
        )
    for code in sorted(rule.certifications):
        required, actual = rule.certifications[code], facts.certified.get(code, 0)
        gaps.append(
            {
                "requirement": f"certifications:{code}",
                "required": str(required),
                "actual": str(actual),
                "met": actual >= required,
            }
        )
    if rule.max_open_incidents is not None:
        gaps.append(
            {
                "requirement": "max_open_incidents",
                "required": str(rule.max_open_incidents),
                "actual": str(facts.open_incidents),
                "met": facts.open_incidents <= rule.max_open_incidents,
            }
        )
    return gaps


def _evaluate_one(partner: Partner, rules: list[Rule], facts: Facts) -> dict:
    qualified = next(
        (r.tier for r in rules if all(g["met"] for g in _gaps(r, facts))),
        None,
    )
    current = partner.tier
    current_rank = current.rank if current else -1
    above = [r for r in rules if r.tier.rank > current_rank]
    next_rule = min(above, key=lambda r: (r.tier.rank, r.tier.code)) if above else None
    if qualified is None or current is None or qualified.rank == current_rank:
        proposal = "promote" if current is None and qualified is not None else "keep"
    else:
        proposal = "promote" if qualified.rank > current_rank else "demote"
    return {
        "partner": partner.code,
        "current": current.code if current else None,
        "qualified": qualified.code if qualified else None,
        "proposal": proposal,
        "revenue_12m": str(facts.revenue_12m),
        "next_tier": next_rule.tier.code if next_rule else None,
        "gaps": _gaps(next_rule, facts) if next_rule else [],
    }


@dataclass
class Assessment:
    """One partner's evaluation (`result`, the spec's shape) with what moving by rule needs:
    the tiers themselves, and the current tier's requirements against the partner's figures."""

    partner: Partner
    result: dict
    qualified: Tier | None
    current_gaps: list[dict]
    qualified_gaps: list[dict]
    tier_below: Tier | None


def tier_assessments(
    *, on: datetime.date, partners=None, statuses: list[str] | None = None
) -> list[Assessment]:
    """Every partner's (or the given partners', or those in `statuses`) assessment, sorted by
    code, in the same number of queries whatever the number of partners. Changes nothing."""
    rules = _rules()
    qs = Partner.objects.select_related("tier").order_by("code")
    if partners is not None:
        qs = qs.filter(pk__in=[p.pk for p in partners])
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    partner_list = list(qs)
    ids = None if partners is None else [p.pk for p in partner_list]
    revenue = _revenue(on, ids)
    certified = _certified(on, ids)
    incidents = _open_incidents(on, ids)
    by_tier = {rule.tier.pk: rule for rule in rules}
    out = []
    for partner in partner_list:
        facts = Facts(
            revenue_12m=(revenue.get(partner.pk) or ZERO).quantize(CENT),
            certified=certified.get(partner.pk, {}),
            open_incidents=incidents.get(partner.pk, 0),
        )
        result = _evaluate_one(partner, rules, facts)
        current_rule = by_tier.get(partner.tier_id)
        qualified_rule = next((r for r in rules if r.tier.code == result["qualified"]), None)
        out.append(
            Assessment(
                partner=partner,
                result=result,
                qualified=qualified_rule.tier if qualified_rule else None,
                current_gaps=_gaps(current_rule, facts) if current_rule else [],
                qualified_gaps=_gaps(qualified_rule, facts) if qualified_rule else [],
                tier_below=_tier_below(rules, partner.tier),
            )
        )
    return out


def _tier_below(rules: list[Rule], tier: Tier | None) -> Tier | None:
    """The tier ranked just below `tier` (rules come highest rank first)."""
    if tier is None:
        return None
    return next((r.tier for r in rules if r.tier.rank < tier.rank), None)


def tier_evaluations(*, on: datetime.date, partners=None) -> list[dict]:
    """The spec's evaluation of every partner (or of the given partners), sorted by code.

    Runs the same number of queries whatever the number of partners. Changes nothing."""
    return [a.result for a in tier_assessments(on=on, partners=partners)]


__all__ = ["Assessment", "revenue_window", "tier_assessments", "tier_evaluations"]
