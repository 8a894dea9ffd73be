"""The statement rollup, kept by database triggers, holds the number and the total of the
statements of each period, currency, status and acknowledgement whatever writes them; the
statement list's sums for who sees every partner are read from it."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from commissions.models import Statement, StatementRollup
from commissions.selectors import statement_list, statement_list_with_sums
from partners.services import partner_assign_account_manager

from ..factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _statement(partner, period: str, total: str, currency: str = "TWD") -> Statement:
    start = (
        dt.date(int(period[:4]), 3 * int(period[-1]) - 2, 1)
        if "Q" in period
        else dt.date.fromisoformat(f"{period}-01")
    )
    return Statement.objects.create(
        partner=partner,
        period=period,
        period_start=start,
        period_end=start,
        currency=currency,
        total=Decimal(total),
    )


def _from_statements() -> dict:
    counts: dict = {}
    for s in Statement.objects.all():
        key = (s.period, s.period_start, s.currency, s.status, s.acknowledged_at is not None)
        count, cents = counts.get(key, (0, 0))
        counts[key] = (count + 1, cents + int(s.total * 100))
    return counts


def _from_rollup() -> dict:
    counts: dict = {}
    for r in StatementRollup.objects.all():
        key = (r.period, r.period_start, r.currency, r.status, r.acknowledged)
        count, cents = counts.get(key, (0, 0))
        counts[key] = (count + r.statement_count, cents + r.total_cents)
    assert all(count >= 0 for count, _cents in counts.values())
    return {key: value for key, value in counts.items() if value != (0, 0)}


def test_the_rollup_follows_inserts_updates_and_deletes(world):
    # given
    partners = [world.partner, world.other_partner, *PartnerFactory.create_batch(2)]
    statements = [
        _statement(partner, period, f"{100 * n}.25", currency)
        for n, (partner, (period, currency)) in enumerate(
            itertools.product(partners, [("2026-08", "TWD"), ("2026-09", "USD")]), start=1
        )
    ]
    _statement(world.partner, "2026-Q3", "-12.50")
    assert _from_rollup() == _from_statements()
    # when: a recompute rewrites the drafts' totals, in bulk
    Statement.objects.filter(period="2026-08").update(total=F("total") + Decimal("0.10"))
    assert _from_rollup() == _from_statements()
    # when: approved, acknowledged, paid
    first, second = statements[0], statements[1]
    Statement.objects.filter(pk__in=[first.pk, second.pk]).update(status="approved")
    Statement.objects.filter(pk=first.pk).update(acknowledged_at=timezone.now())
    Statement.objects.filter(pk=second.pk).update(status="paid")
    assert _from_rollup() == _from_statements()
    # when: drafts deleted
    Statement.objects.filter(status="draft", period="2026-09").delete()
    assert _from_rollup() == _from_statements()


FILTERS = list(
    itertools.product(
        ["", "2026-08", "2026-09", "2026-Q3", "2026-07"],
        ["", "draft", "approved", "paid", "other"],
        ["", "yes", "no"],
    )
)


def _expected(user, period: str, status: str, acknowledged: str) -> dict:
    sums: dict = {}
    for s in statement_list(user=user, period=period):
        if status in ("draft", "approved", "paid") and s.status != status:
            continue
        if acknowledged == "yes" and s.acknowledged_at is None:
            continue
        if acknowledged == "no" and (s.status == "draft" or s.acknowledged_at is not None):
            continue
        amount, count = sums.get((s.currency, s.period_start), (Decimal(0), 0))
        sums[(s.currency, s.period_start)] = (amount + s.total, count + 1)
    return sums


@pytest.mark.parametrize(
    ("role", "managed"),
    [
        ("vendor_admin", 0),
        # a channel manager of one partner in ten and of eight (its statements' sums), of nine
        # (every partner's less the tenth's) and of all ten (every partner's)
        ("cm_assigned", 1),
        ("cm_assigned", 8),
        ("cm_assigned", 9),
        ("cm_assigned", 10),
    ],
)
def test_the_lists_sums_are_those_of_its_statements_under_every_filter(world, role, managed):
    partners = [world.partner, world.other_partner, *PartnerFactory.create_batch(8)]
    for partner in partners[1:managed]:
        partner_assign_account_manager(
            partner=partner, manager=world.users["cm_assigned"], actor=world.users["vendor_admin"]
        )
    for n, partner in enumerate(partners):
        _statement(partner, "2026-08", f"{n}0.05")
        _statement(partner, "2026-09", f"-{n}.30", currency="USD" if n else "TWD")
    _statement(world.partner, "2026-Q3", "7.00")
    august = Statement.objects.filter(period="2026-08")
    august.filter(partner=partners[0]).update(status="approved", acknowledged_at=timezone.now())
    august.filter(partner=partners[1]).update(status="paid")
    user = world.users[role]
    for period, status, acknowledged in FILTERS:
        sums, rows = statement_list_with_sums(
            user=user, period=period, status=status, acknowledged=acknowledged
        )
        got = {(currency, start): (amount, count) for currency, start, amount, count in sums}
        expected = _expected(user, period, status, acknowledged)
        assert got == expected, (period, status, acknowledged)
        assert rows.count() == sum(count for _amount, count in expected.values())


def test_a_keys_figures_are_the_sums_over_its_slots(world):
    statement = _statement(world.partner, "2026-09", "10.00")
    _statement(world.other_partner, "2026-09", "5.50")
    row = StatementRollup.objects.get()
    # another session moved one statement out of this slot and into its own, and left a pair
    # with no statement
    StatementRollup.objects.filter(pk=row.pk).update(
        statement_count=F("statement_count") - 1, total_cents=F("total_cents") - 1000
    )
    StatementRollup.objects.create(
        period=row.period,
        period_start=row.period_start,
        currency=row.currency,
        status=row.status,
        acknowledged=row.acknowledged,
        slot=(row.slot + 1) % StatementRollup.SLOTS,
        statement_count=1,
        total_cents=1000,
    )
    StatementRollup.objects.create(
        period=row.period,
        period_start=row.period_start,
        currency="EUR",
        status=row.status,
        acknowledged=row.acknowledged,
        slot=row.slot,
    )
    sums, rows = statement_list_with_sums(user=world.users["vendor_admin"])
    assert sums == [("TWD", statement.period_start, Decimal("15.50"), 2)]
    assert rows.count() == 2


def test_a_write_that_changes_no_figure_leaves_the_rollup_alone(world):
    statement = _statement(world.partner, "2026-09", "10.00")
    before = list(StatementRollup.objects.values_list("pk", "statement_count", "total_cents"))
    Statement.objects.filter(pk=statement.pk).update(computed_at=timezone.now())
    assert list(StatementRollup.objects.values_list("pk", "statement_count", "total_cents")) == (
        before
    )
    assert _from_rollup() == _from_statements()
