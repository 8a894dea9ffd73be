"""Reads of the engagement app, scoped to what the requesting user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner
from partners.selectors import partner_get, partner_visible_queryset

from .commitments import Record, Window, instances_measure, monthly_rates, records
from .health import (
    Health,
    health_current,
    health_falling,
    health_falling_queryset,
    health_trend,
    quarter_label,
)


@dataclass
class PartnerRecord:
    partner: Partner
    records: list[Record]

    @property
    def met(self) -> int:
        return sum(r.met for r in self.records)

    @property
    def missed(self) -> int:
        return sum(r.missed for r in self.records)

    @property
    def months(self) -> list[tuple[str, int, int]]:
        """Per month: (YYYY-MM, met, measured), oldest first, as on the vendor's overview."""
        return monthly_rates(i for r in self.records for i in r.instances)


def commitment_record_get(
    *, user, code: str, current_partner: Partner | None = None, now: dt.datetime | None = None
) -> PartnerRecord:
    """One partner's commitments this year; 404 outside the user's reach."""
    partner = partner_get(user=user, code=code, current_partner=current_partner)
    found = instances_measure(Partner.objects.filter(pk=partner.pk), window=Window.year(now))
    return PartnerRecord(partner, records(found))


@dataclass
class ManagerRow:
    manager_id: int | None
    name: str
    partners: int
    met: int
    missed: int

    @property
    def rate(self) -> int | None:
        total = self.met + self.missed
        return None if not total else (self.met * 200 + total) // (2 * total)


@dataclass
class Overview:
    managers: list[ManagerRow]
    worst: list[tuple[Partner, int, int]]
    months: list[tuple[str, int, int]]
    by_commitment: list[Record]


def _visible(user) -> QuerySet[Partner]:
    return partner_visible_queryset(user=user).exclude(status=Partner.Status.PROSPECT)


def commitment_overview(
    *, user, manager_id: int | None = None, now: dt.datetime | None = None, limit: int = 20
) -> Overview:
    """The vendor's record this year over the partners `user` sees (one channel manager's with
    `manager_id`): per channel manager, per commitment, per month, and the partners with the
    most misses. A constant number of queries."""
    partners = _visible(user)
    if manager_id is not None:
        partners = partners.filter(account_manager_id=manager_id)
    found = instances_measure(partners, window=Window.year(now))
    rows = list(
        partners.order_by().values_list(
            "pk", "account_manager_id", "account_manager__full_name", "account_manager__email"
        )
    )
    manager_of = {pk: m for pk, m, _n, _e in rows}
    managers: dict[int | None, ManagerRow] = {}
    for _pk, m, name, email in rows:
        row = managers.setdefault(m, ManagerRow(m, name or email or "", 0, 0, 0))
        row.partners += 1
    per_partner: dict[int, list[int]] = {}
    for i in found:
        row = managers[manager_of[i.partner_id]]
        bucket = per_partner.setdefault(i.partner_id, [0, 0])
        if i.met:
            row.met += 1
            bucket[0] += 1
        else:
            row.missed += 1
            bucket[1] += 1
    worst_ids = sorted(
        (pk for pk, (_m, missed) in per_partner.items() if missed),
        key=lambda pk: (-per_partner[pk][1], pk),
    )[:limit]
    by_pk = Partner.objects.in_bulk(worst_ids)
    worst = [(by_pk[pk], *per_partner[pk]) for pk in worst_ids]
    ordered = sorted(managers.values(), key=lambda r: (r.manager_id is None, r.name.lower()))
    return Overview(ordered, worst, monthly_rates(found), records(found))


def manager_get(*, manager_id: int):
    """A vendor user who can be an account manager, or None."""
    return get_user_model().objects.filter(pk=manager_id).exclude(vendor_role="").first()


def partner_health_get(*, partner: Partner, now: dt.datetime | None = None) -> Health:
    """The partner's score of the current quarter with its "as of" time (`taken_at`): the
    quarter's snapshot, stored from a live measure when there is none yet."""
    return health_current(partner, now=now)


def partner_health_trend(*, partner: Partner):
    return health_trend(partner)


def partner_health_with_trend(
    *, partner: Partner, now: dt.datetime | None = None
) -> tuple[Health, list]:
    """`partner_health_get` and `partner_health_trend` together: one query when the current
    quarter's snapshot is stored (it is then the trend's newest)."""
    trend = health_trend(partner)
    quarter = quarter_label(timezone.localdate(now or timezone.now()))
    if trend and trend[-1].quarter == quarter:
        return Health.from_snapshot(trend[-1]), trend
    return health_current(partner, now=now), health_trend(partner)


def falling_partners(*, user, today: dt.date | None = None):
    """This quarter's snapshots of the partners `user` is the account manager of whose score
    fell by 15 points or more from last quarter's."""
    partners = partner_visible_queryset(user=user).filter(account_manager=user)
    return health_falling(partners, today=today or timezone.localdate())


def falling_partners_queryset(*, user, today: dt.date | None = None) -> QuerySet:
    """The rows of `falling_partners`, not yet read (for a count)."""
    partners = partner_visible_queryset(user=user).filter(account_manager=user)
    return health_falling_queryset(partners, today=today or timezone.localdate())
