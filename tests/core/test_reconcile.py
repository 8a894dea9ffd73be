"""The reconciliation (`manage.py reconcile`) finds every kind of mismatch it claims to check, and
changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from commissions.models import ImportBatch, RecomputeRequest, SalesRollup, StatementLine
from commissions.reconcile import reconcile
from commissions.services.compute import recompute
from prm.core.models import Event

from ..commissions.builders import lines, load, plan, program, sale, snapshot, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed():
    """Two partners' October drafts, computed: 30,000 and 10,000 of networking at 5%."""
    load(
        program(
            commission_plans=[plan({"priority": 10, "line": "NET", "kind": "percent", "rate": "5"})]
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    sale("P-BETA", "SW-24", "2026-10-11", "10000.00")
    recompute(month_label="2026-10")
    # The program load asked for a recompute, which the call above did.
    RecomputeRequest.objects.update(status="done", finished_at=timezone.now())


def _findings(name: str) -> list[str]:
    report = reconcile()
    (check,) = [c for c in report.checks if c.name == name]
    return check.findings


def test_a_consistent_database_passes_and_is_left_unchanged(computed):
    before = snapshot()
    report = reconcile()
    assert report.ok, report.findings
    assert snapshot() == before
    assert lines("P-ACME", "2026-10")[0][1] == Decimal("1500.00")


def test_a_tampered_draft_line_is_found(computed):
    line = statement("P-ACME", "2026-10").lines.get(position=1)
    StatementLine.objects.filter(pk=line.pk).update(amount=Decimal("1600.00"))
    findings = _findings("draft statements equal a clean recompute")
    assert len(findings) == 1
    assert "P-ACME 2026-10: lines differ" in findings[0]
    assert "1600.00" in findings[0]
    assert "1500.00" in findings[0]
    # Nothing was repaired: the reconciliation only reports.
    assert statement("P-ACME", "2026-10").lines.get(position=1).amount == Decimal("1600.00")


def test_a_tampered_total_and_a_missing_statement_are_found(computed):
    acme = statement("P-ACME", "2026-10")
    type(acme).objects.filter(pk=acme.pk).update(total=Decimal("1.00"))
    statement("P-BETA", "2026-10").delete()
    findings = _findings("draft statements equal a clean recompute")
    assert any("P-ACME 2026-10: total is 1.00" in f for f in findings), findings
    assert any("P-BETA 2026-10: no statement" in f for f in findings), findings


def test_a_sale_added_without_a_recompute_is_found(computed):
    sale("P-ACME", "SW-24", "2026-10-12", "10000.00")
    findings = _findings("draft statements equal a clean recompute")
    assert any("P-ACME 2026-10: total is 1500.00" in f for f in findings), findings


def test_a_rollup_out_of_step_with_the_sales_is_found(computed):
    SalesRollup.objects.filter(line_count__gt=0).update(volume_cents=1)
    findings = _findings("sales rollup equals the sales lines")
    assert len(findings) == 2, findings


def test_requests_left_waiting_or_running_are_found(computed):
    RecomputeRequest.objects.create(period="2026-10", reason="nightly")
    RecomputeRequest.objects.create(period="2026-11", reason="nightly", status="running")
    findings = _findings("recompute requests done once")
    assert len(findings) == 2
    assert "is pending" in findings[0]
    assert "is running" in findings[1]


def test_imports_left_running_or_short_of_their_rows_are_found(computed):
    ImportBatch.objects.create(filename="stuck.csv", status=ImportBatch.Status.RUNNING)
    ImportBatch.objects.create(
        filename="short.csv", status=ImportBatch.Status.DONE, created_count=2
    )
    findings = _findings("imports done once")
    assert findings == [
        f"batch {ImportBatch.objects.get(filename='stuck.csv').pk} (stuck.csv) is running",
        f"batch {ImportBatch.objects.get(filename='short.csv').pk} (short.csv) reported 2 sales "
        "lines and holds 0",
    ]


def test_a_reminder_recorded_twice_is_found(computed):
    deal_type = ContentType.objects.get(app_label="partners", model="dealregistration")
    announcement_type = ContentType.objects.get(app_label="partners", model="announcement")
    for _ in range(2):
        Event.objects.create(verb="deal.expiry_warned", target_type=deal_type, target_id="7")
        Event.objects.create(
            verb="announcement.reminded", target_type=announcement_type, target_id="3"
        )
    Event.objects.create(verb="deal.expiry_warned", target_type=deal_type, target_id="8")
    findings = _findings("reminders sent once")
    assert findings == [
        "deal.expiry_warned recorded 2 times for object 7",
        f"announcement.reminded recorded 2 times for object 3 on {timezone.localdate()}",
    ]
    moved = Event.objects.filter(verb="announcement.reminded").first()
    Event.objects.filter(pk=moved.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    assert _findings("reminders sent once") == [findings[0]]


def test_the_command_prints_each_check_and_exits_non_zero_on_a_mismatch(computed, capsys):
    call_command("reconcile")
    out = capsys.readouterr().out
    assert "ok   draft statements equal a clean recompute: 2 drafts over 1 months" in out
    assert "reconciliation passed" in out

    line = statement("P-ACME", "2026-10").lines.get(position=1)
    StatementLine.objects.filter(pk=line.pk).update(amount=Decimal("0.01"))
    with pytest.raises(SystemExit) as exit_info:
        call_command("reconcile")
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert "FAIL draft statements equal a clean recompute" in out.out
    assert "P-ACME 2026-10: lines differ" in out.out
    assert "reconciliation failed: 1 findings" in out.err


def test_an_approved_statement_is_not_compared(computed):
    acme = statement("P-ACME", "2026-10")
    type(acme).objects.filter(pk=acme.pk).update(
        status="approved", approved_at=timezone.now() - dt.timedelta(days=1)
    )
    frozen = lines("P-ACME", "2026-10")
    sale("P-ACME", "SW-24", "2026-10-12", "10000.00")
    # the late sale's recompute leaves the approved October alone and restates it on a draft
    recompute(month_label="2026-10")
    assert reconcile().ok
    assert lines("P-ACME", "2026-10") == frozen
