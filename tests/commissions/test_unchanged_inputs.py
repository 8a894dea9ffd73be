"""A recompute skips a draft whose inputs (its sums per rule, plan, rules, target, adjustments
and restatements) are those it was last built from; any change of an input rebuilds it, to
exactly what a rebuild from nothing gives."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from agreements.models import Agreement, AgreementVersion, ProductLine
from commissions.models import Adjustment, Statement
from commissions.services.compute import recompute
from commissions.services.statements import adjustment_create
from partners.models import Target

from .builders import lines, load, local_noon, partner, plan, program, sale, sale_return, snapshot

pytestmark = pytest.mark.django_db
D = Decimal
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
WLS_UNIT = {"priority": 20, "line": "WLS", "kind": "per_unit", "amount": "10.00"}
ACCELERATED = {"accelerator": {"threshold": "110", "multiplier": "1.25"}, "cap": "9000.00"}


def _program(**changes) -> dict:
    sections = {
        "commission_plans": [plan(NET_5, WLS_UNIT, **ACCELERATED), plan(NET_5, code="PRO")],
        "targets": [{"partner": "P-ACME", "period": "2026-10", "amount": "200000"}],
    }
    return program(**{**sections, **changes})


def _acme() -> dict:
    return recompute(month_label="2026-10", partner_ids=[partner("P-ACME").pk])


@pytest.fixture
def built():
    load(_program())
    original = sale("P-ACME", "SW-24", "2026-10-05", "60000.00", "2")
    sale("P-ACME", "AP-1", "2026-10-06", "5000.00", "3")
    adjustment = adjustment_create(
        partner=partner("P-ACME"), amount=D("120.00"), reason="Missed deal", actor=None
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(dt.date(2026, 10, 9)))
    assert _acme()["statements"] == 1
    assert _acme() == {
        "partners": 1,
        "statements": 0,
        "unchanged": 1,
        "skipped": 0,
        "restated": 0,
    }
    return {"original": original, "adjustment": adjustment}


def _a_sale(built):
    sale("P-ACME", "SW-48", "2026-10-20", "1000.00")


def _a_sale_of_the_same_amount_under_another_rule(built):
    # The net sales stay the same; only the split between the rules moves.
    sale("P-ACME", "AP-1", "2026-10-21", "0.00", "1")


def _a_return(built):
    sale_return(built["original"], "2026-10-25", "30000.00", "1")


def _an_adjustment(built):
    extra = adjustment_create(
        partner=partner("P-ACME"), amount=D("-5.00"), reason="Fee", actor=None
    )
    Adjustment.objects.filter(pk=extra.pk).update(created_at=local_noon(dt.date(2026, 10, 10)))


def _an_adjustment_amount(built):
    Adjustment.objects.filter(pk=built["adjustment"].pk).update(amount=D("121.00"))


def _an_adjustment_reason(built):
    Adjustment.objects.filter(pk=built["adjustment"].pk).update(reason="Missed deal DR-9")


def _a_plan_version(built):
    load(
        _program(
            commission_plans=[
                plan({**NET_5, "rate": "6"}, WLS_UNIT, **ACCELERATED, effective_from="2026-10-01"),
                plan(NET_5, code="PRO"),
            ]
        )
    )


def _an_agreement_version(built):
    AgreementVersion.objects.create(
        agreement=Agreement.objects.get(number="AG-ACME"),
        number=2,
        status=AgreementVersion.Status.ACCEPTED,
        effective_date=dt.date(2026, 10, 1),
        in_force_from=dt.date(2026, 10, 1),
        commission_plan="PRO",
        accepted_at=timezone.now(),
    )


def _a_target(built):
    # 65,000 of sales against 50,000: the accelerator now applies.
    Target.objects.filter(partner=partner("P-ACME"), period="2026-10").update(amount=D("50000.00"))


def _a_product_line_name(built):
    ProductLine.objects.filter(code="NET").update(name="Switching")


CHANGES = [
    _a_sale,
    _a_sale_of_the_same_amount_under_another_rule,
    _a_return,
    _an_adjustment,
    _an_adjustment_amount,
    _an_adjustment_reason,
    _a_plan_version,
    _an_agreement_version,
    _a_target,
    _a_product_line_name,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_a_change_of_any_input_rebuilds_the_draft_as_a_fresh_build_would(built, change):
    before = snapshot()

    change(built)
    counts = _acme()

    assert counts["statements"] == 1
    assert counts["unchanged"] == 0
    after = snapshot()
    assert after != before
    # A rebuild from nothing gives the same statement.
    Statement.objects.update(fingerprint="")
    assert _acme()["statements"] == 1
    assert snapshot() == after
    assert _acme()["unchanged"] == 1


def test_a_draft_fingerprinted_by_an_earlier_release_is_rebuilt_once(built):
    before = snapshot()
    # The first release fingerprinted the computed lines: another 64-digit hash.
    Statement.objects.update(fingerprint="0f" * 32)

    assert _acme()["statements"] == 1
    assert _acme()["unchanged"] == 1
    assert snapshot() == before


def test_an_approved_statement_is_not_rebuilt_when_its_inputs_change(built):
    october = Statement.objects.get(partner__code="P-ACME", period="2026-10")
    Statement.objects.filter(pk=october.pk).update(status=Statement.Status.APPROVED)
    held = lines("P-ACME", "2026-10")

    sale("P-ACME", "SW-48", "2026-10-20", "1000.00")
    counts = _acme()

    assert counts["skipped"] == 1
    assert lines("P-ACME", "2026-10") == held
