"""Statement lifecycle, adjustments after approval, the statement commands and recompute
requests (spec: commissions; Interface contract: `recompute_payouts`, `export_statements`)."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commissions import periods
from commissions.models import Adjustment, RecomputeRequest, Statement
from commissions.services.compute import recompute
from commissions.services.recompute import (
    PICKUP_GRACE,
    RUNNING_TIMEOUT,
    open_periods_recompute,
    recompute_request_create,
    recompute_request_run,
    recompute_requests_sweep,
)
from commissions.services.statements import (
    adjustment_create,
    statement_approve,
    statement_mark_paid,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from .builders import lines, load, local_noon, partner, plan, program, sale, snapshot, statement

pytestmark = pytest.mark.django_db
D = Decimal
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


@pytest.fixture
def october(db) -> Statement:
    """P-ACME's computed draft for October 2026: 30,000 of networking at 5% = 1,500."""
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    recompute(month_label="2026-10")
    return statement("P-ACME", "2026-10")


# Transitions -------------------------------------------------------------------------------------


def test_approving_a_draft_freezes_it_and_records_who_and_when(october, vendor_admin):
    approved = statement_approve(statement=october, actor=vendor_admin)

    october.refresh_from_db()
    assert (october.status, october.approved_by, october.total) == (
        "approved",
        vendor_admin,
        D("1500.00"),
    )
    assert october.approved_at is not None
    assert approved.status == "approved"
    event = Event.objects.get(verb="statement.approved")
    assert (event.actor, event.target_id, event.partner) == (
        vendor_admin,
        str(october.pk),
        october.partner,
    )


def test_marking_an_approved_statement_paid(october, vendor_admin):
    statement_approve(statement=october, actor=vendor_admin)

    statement_mark_paid(statement=october, actor=vendor_admin, reference="  WIRE-2026-117  ")

    october.refresh_from_db()
    assert (october.status, october.paid_by, october.payment_reference) == (
        "paid",
        vendor_admin,
        "WIRE-2026-117",
    )
    assert october.paid_at is not None
    assert Event.objects.filter(verb="statement.paid", target_id=str(october.pk)).count() == 1


@pytest.mark.parametrize("status", ["approved", "paid"])
def test_only_a_draft_can_be_approved(october, vendor_admin, status):
    Statement.objects.filter(pk=october.pk).update(status=status)

    with pytest.raises(InvalidTransitionError):
        statement_approve(statement=october, actor=vendor_admin)

    october.refresh_from_db()
    assert (october.status, october.approved_by) == (status, None)


@pytest.mark.parametrize("status", ["draft", "paid"])
def test_only_an_approved_statement_can_be_marked_paid(october, vendor_admin, status):
    Statement.objects.filter(pk=october.pk).update(status=status)

    with pytest.raises(InvalidTransitionError):
        statement_mark_paid(statement=october, actor=vendor_admin, reference="X")

    october.refresh_from_db()
    assert (october.status, october.payment_reference) == (status, "")


def test_a_statement_never_computed_cannot_be_approved(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    blank = Statement.objects.create(
        partner=partner("P-ACME"),
        period="2026-10",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        currency="TWD",
    )

    with pytest.raises(DomainError) as raised:
        statement_approve(statement=blank, actor=vendor_admin)

    assert not isinstance(raised.value, InvalidTransitionError)
    blank.refresh_from_db()
    assert blank.status == "draft"


def test_approving_a_stale_copy_acts_on_the_stored_status(october, vendor_admin):
    stale = Statement.objects.get(pk=october.pk)
    statement_approve(statement=october, actor=vendor_admin)

    with pytest.raises(InvalidTransitionError):
        statement_approve(statement=stale, actor=vendor_admin)


# Approved and paid statements never change ----------------------------------------------------


@pytest.mark.parametrize("final", ["approved", "paid"])
def test_recompute_leaves_approved_and_paid_statements_alone(october, vendor_admin, final):
    statement_approve(statement=october, actor=vendor_admin)
    if final == "paid":
        statement_mark_paid(statement=october, actor=vendor_admin, reference="WIRE-1")
    before = snapshot()
    # new sales in the period, a new target, a pending adjustment: all would change a draft
    sale("P-ACME", "SW-24", "2026-10-20", "90000.00")
    adjustment = adjustment_create(
        partner=partner("P-ACME"), amount=D("10.00"), reason="Fix", actor=vendor_admin
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(dt.date(2026, 10, 5)))

    counts = recompute(month_label="2026-10", today=dt.date(2026, 11, 3))

    assert counts["skipped"] == 1
    assert counts["statements"] == 0
    assert [row for row in snapshot() if row[1] == "2026-10"] == before
    # the late sale's commission is paid on the next draft instead (see test_late_data)
    assert lines("P-ACME", "2026-11") == [
        ("2026-10 restated, Networking: +4,500.00", D("4500.00")),
        ("Adjustment: Fix", D("10.00")),
    ]
    adjustment.refresh_from_db()
    assert adjustment.statement == statement("P-ACME", "2026-11")


def test_an_adjustment_after_approval_lands_on_the_next_draft(october, vendor_admin):
    # given October approved, then a correction of it decided on 20 October
    statement_approve(statement=october, actor=vendor_admin)
    correction = adjustment_create(
        partner=partner("P-ACME"),
        amount=D("-120.00"),
        reason="Return booked late (INV-88)",
        actor=vendor_admin,
        corrects=october,
    )
    Adjustment.objects.filter(pk=correction.pk).update(created_at=local_noon(dt.date(2026, 10, 20)))

    # when October and then November are recomputed (no November sales)
    recompute(month_label="2026-10")
    recompute(month_label="2026-11")

    # then October is untouched and the correction is November's own line
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00"))
    ]
    assert lines("P-ACME", "2026-11") == [("Adjustment: Return booked late (INV-88)", D("-120.00"))]
    november = statement("P-ACME", "2026-11")
    assert (november.status, november.total) == ("draft", D("-120.00"))
    correction.refresh_from_db()
    assert (correction.statement, correction.corrects) == (november, october)
    assert list(october.corrections.all()) == [correction]


def test_an_adjustment_on_an_approved_statement_stays_there(october, vendor_admin):
    adjustment = adjustment_create(
        partner=partner("P-ACME"), amount=D("50.00"), reason="Bonus", actor=vendor_admin
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(dt.date(2026, 10, 5)))
    recompute(month_label="2026-10")
    statement_approve(statement=october, actor=vendor_admin)

    recompute(month_label="2026-11")

    adjustment.refresh_from_db()
    assert adjustment.statement == october
    assert not Statement.objects.filter(period="2026-11").exists()


def test_adjustment_create_checks_quantizes_and_requests_a_recompute(october, vendor_admin):
    acme = partner("P-ACME")

    adjustment = adjustment_create(
        partner=acme, amount=D("10.005"), reason="  Rebate  ", actor=vendor_admin
    )

    assert (adjustment.amount, adjustment.currency, adjustment.reason) == (
        D("10.01"),
        "TWD",
        "Rebate",
    )
    assert adjustment.created_by == vendor_admin
    request = RecomputeRequest.objects.get(reason="adjustment")
    assert (request.period, request.partner, request.status) == (
        periods.month_of(timezone.localdate()),
        acme,
        "pending",
    )
    assert Event.objects.filter(verb="adjustment.created", target_id=str(adjustment.pk)).exists()


@pytest.mark.parametrize(
    ("amount", "reason", "field"), [("0", "Why", "amount"), ("5", " ", "reason")]
)
def test_adjustment_needs_an_amount_and_a_reason(october, vendor_admin, amount, reason, field):
    with pytest.raises(DomainError) as raised:
        adjustment_create(
            partner=partner("P-ACME"), amount=D(amount), reason=reason, actor=vendor_admin
        )

    assert raised.value.field == field
    assert not Adjustment.objects.exists()


# Commands ------------------------------------------------------------------------------------


def _call(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_recompute_payouts_reports_what_it_did(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    sale("P-BETA", "SW-24", "2026-10-10", "30000.00")

    output = _call("recompute_payouts", "--period", "2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)
    sale("P-BETA", "SW-24", "2026-10-11", "1.00")
    again = _call("recompute_payouts", "--period", "2026-10")

    assert output == (
        "2026-10: 2 draft statement(s) recomputed (2 changed), "
        "0 approved or paid left as they are\n"
    )
    assert again == (
        "2026-10: 1 draft statement(s) recomputed (1 changed), "
        "1 approved or paid left as they are\n"
    )
    assert statement("P-BETA", "2026-10").unmatched_amount == D("30001.00")


def test_recompute_payouts_for_one_partner(db):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    sale("P-BETA", "SW-24", "2026-10-10", "30000.00")

    _call("recompute_payouts", "--period", "2026-10", "--partner", "P-ACME")

    assert list(Statement.objects.values_list("partner__code", "period", "total")) == [
        ("P-ACME", "2026-10", D("1500.00"))
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "--period: not a month (YYYY-MM): '2026-13'"),
        (["--period", "2026-Q4"], "--period: not a month (YYYY-MM): '2026-Q4'"),
        (["--period", "2026-10", "--partner", "P-NOPE"], "--partner: unknown partner 'P-NOPE'"),
    ],
)
def test_recompute_payouts_refuses_bad_arguments(db, args, message):
    with pytest.raises(CommandError) as raised:
        _call("recompute_payouts", *args)

    assert str(raised.value) == message
    assert not Statement.objects.exists()


def test_export_statements_json_lists_every_line_with_amounts_as_strings(october, vendor_admin):
    load(program(commission_plans=[plan(NET_5, cap="1000.00")]), today=dt.date(2026, 9, 2))
    recompute(month_label="2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    data = json.loads(_call("export_statements", "--period", "2026-10"))

    assert data == [
        {
            "partner": "P-ACME",
            "period": "2026-10",
            "status": "approved",
            "currency": "TWD",
            "total": "1000.00",
            "carried_forward": "0.00",
            "lines": [
                {
                    "description": "Networking, percent: 30,000.00 × 5% = 1,500.00",
                    "amount": "1500.00",
                },
                {"description": "Cap 1,000.00: 1,500.00 reduced by 500.00", "amount": "-500.00"},
            ],
        }
    ]


def test_export_statements_csv(october):
    sale("P-YEN", "SW-24", "2026-10-10", "1010")
    recompute(month_label="2026-10")

    output = _call("export_statements", "--period", "2026-10", "--format", "csv")

    assert output.splitlines() == [
        "partner,period,status,currency,total,line,description,amount,carried_forward",
        "P-ACME,2026-10,draft,TWD,1500.00,1,"
        '"Networking, percent: 30,000.00 × 5% = 1,500.00",1500.00,0.00',
        'P-YEN,2026-10,draft,JPY,51,1,"Networking, percent: 1,010 × 5% = 51",51,0',
    ]


def test_export_statements_csv_neutralises_formulas(october, vendor_admin):
    adjustment = adjustment_create(
        partner=partner("P-ACME"), amount=D("-1.00"), reason="x", actor=vendor_admin
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(dt.date(2026, 10, 5)))
    recompute(month_label="2026-10")
    # A description that a spreadsheet would run as a formula (e.g. from an edited plan label).
    statement("P-ACME", "2026-10").lines.filter(position=1).update(description="=1+2")

    output = _call("export_statements", "--period", "2026-10", "--format", "csv")

    assert output.splitlines()[1:] == [
        "P-ACME,2026-10,draft,TWD,1499.00,1,'=1+2,1500.00,0.00",
        "P-ACME,2026-10,draft,TWD,1499.00,2,Adjustment: x,-1.00,0.00",
    ]


def test_export_statements_of_a_month_includes_its_quarter(db):
    load(program(commission_plans=[plan(NET_5, settlement="quarter")]))
    sale("P-ACME", "SW-24", "2026-12-10", "10000.00")
    recompute(month_label="2026-12")

    october = json.loads(_call("export_statements", "--period", "2026-10"))
    september = json.loads(_call("export_statements", "--period", "2026-09"))

    assert [(s["partner"], s["period"], s["total"]) for s in october] == [
        ("P-ACME", "2026-Q4", "500.00")
    ]
    assert september == []


@pytest.mark.parametrize("period", ["2026-13", "2026/10", "2026-Q4", ""])
def test_export_statements_refuses_a_bad_period(db, period):
    with pytest.raises(CommandError, match="--period"):
        _call("export_statements", "--period", period)


# Recompute requests -------------------------------------------------------------------------------


def _request(**fields) -> RecomputeRequest:
    request = RecomputeRequest.objects.create(period="2026-10", reason="test")
    if fields:
        RecomputeRequest.objects.filter(pk=request.pk).update(**fields)
        request.refresh_from_db()
    return request


def test_a_request_runs_once(db):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    request = _request()

    done = recompute_request_run(request_id=request.pk)
    sale("P-ACME", "SW-24", "2026-10-11", "10000.00")
    again = recompute_request_run(request_id=request.pk)

    assert again is None
    assert (done.status, done.total_partners, done.done_partners) == ("done", 1, 1)
    assert done.started_at is not None
    assert done.finished_at is not None
    # the second run did nothing: the new sale is not in the statement yet
    assert statement("P-ACME", "2026-10").total == D("1500.00")


def test_a_request_for_one_partner_recomputes_only_that_partner(db):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    sale("P-BETA", "SW-24", "2026-10-10", "30000.00")
    request = RecomputeRequest.objects.create(
        period="2026-10", reason="test", partner=partner("P-BETA")
    )

    recompute_request_run(request_id=request.pk)

    assert list(Statement.objects.values_list("partner__code", flat=True)) == ["P-BETA"]


def test_a_running_request_is_taken_over_only_after_the_timeout(db):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    now = timezone.now()
    busy = _request(status="running", started_at=now - RUNNING_TIMEOUT + dt.timedelta(minutes=1))
    lost = _request(status="running", started_at=now - RUNNING_TIMEOUT - dt.timedelta(minutes=1))

    assert recompute_request_run(request_id=busy.pk) is None
    assert not Statement.objects.exists()
    assert recompute_request_run(request_id=lost.pk).status == "done"
    assert statement("P-ACME", "2026-10").total == D("1500.00")


def test_the_sweep_runs_requests_nobody_picked_up_and_those_whose_worker_died(db):
    load(program(commission_plans=[plan(NET_5)]))
    RecomputeRequest.objects.all().delete()  # the program's own request
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    now = timezone.now()
    minute = dt.timedelta(minutes=1)
    waiting = _request(created_at=now - PICKUP_GRACE - minute)
    fresh = _request()
    dead = _request(status="running", started_at=now - RUNNING_TIMEOUT - minute)
    busy = _request(status="running", started_at=now - RUNNING_TIMEOUT + minute)
    finished = _request(status="done", created_at=now - dt.timedelta(days=1))

    swept = recompute_requests_sweep()

    assert swept == 2
    status = dict(RecomputeRequest.objects.values_list("pk", "status"))
    assert status == {
        waiting.pk: "done",
        fresh.pk: "pending",
        dead.pk: "done",
        busy.pk: "running",
        finished.pk: "done",
    }
    assert statement("P-ACME", "2026-10").total == D("1500.00")


def test_a_request_is_run_by_the_worker_once_its_cause_commits(
    db, django_capture_on_commit_callbacks
):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = recompute_request_create(period="2026-10", reason="test")

    assert len(callbacks) == 1
    request.refresh_from_db()
    assert request.status == "done"
    assert statement("P-ACME", "2026-10").total == D("1500.00")


def test_nightly_requests_cover_this_month_and_every_period_with_a_draft(october, vendor_admin):
    # given the October draft, and a quarterly plan from September on: a draft for 2026-Q4
    load(program(commission_plans=[plan(NET_5, settlement="quarter")]), today=dt.date(2026, 9, 2))
    sale("P-ACME", "SW-24", "2026-11-10", "1.00")
    recompute(month_label="2026-11", partner_ids=[partner("P-ACME").pk])
    assert sorted(Statement.objects.values_list("period", flat=True)) == ["2026-10", "2026-Q4"]
    RecomputeRequest.objects.all().delete()

    months = open_periods_recompute(today=dt.date(2027, 2, 3))

    assert months == ["2026-10", "2026-12", "2027-02"]
    assert sorted(RecomputeRequest.objects.values_list("period", "reason")) == [
        ("2026-10", "nightly"),
        ("2026-12", "nightly"),
        ("2027-02", "nightly"),
    ]


def test_approval_and_payment_notify_the_partners_admin_and_finance_users(
    october, vendor_admin, django_capture_on_commit_callbacks
):
    from django.core import mail

    from partners.models import Membership
    from prm.notifications.models import Notification
    from tests.factories import MembershipFactory, UserFactory

    acme = partner("P-ACME")
    for role in ("admin", "finance", "sales"):
        MembershipFactory(user=UserFactory(email=f"{role}@acme.test"), partner=acme, role=role)
    MembershipFactory(
        user=UserFactory(email="gone@acme.test"), partner=acme, role="admin", is_active=False
    )
    assert Membership.objects.filter(partner=acme).count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        statement_approve(statement=october, actor=vendor_admin)
    approved = Notification.objects.filter(category="payouts")
    assert sorted(approved.values_list("recipient__email", flat=True)) == [
        "admin@acme.test",
        "finance@acme.test",
    ]
    assert approved[0].title == "Your commission statement for 2026-10 was approved"
    assert approved[0].url == f"/payouts/{october.pk}/"
    assert "1,500.00" in mail.outbox[-1].body

    with django_capture_on_commit_callbacks(execute=True):
        statement_mark_paid(statement=october, actor=vendor_admin, reference="TT-9")
    paid = Notification.objects.filter(title__contains="was paid")
    assert paid.count() == 2
    assert "TT-9" in mail.outbox[-1].body


def test_recomputing_a_draft_keeps_the_cases_that_dispute_its_lines(october, vendor_admin):
    from disputes.models import Case
    from disputes.services import case_open

    acme = partner("P-ACME")
    line = october.lines.get(kind="rule")
    case = case_open(
        actor=vendor_admin,
        partner=acme,
        kind=Case.Kind.PAYOUT,
        subject="Networking commission looks low",
        description="The October networking line is lower than our sales.",
        statement_line=line,
    )
    sale("P-ACME", "SW-24", "2026-10-12", "10000.00", external_id="late-1")
    recompute(month_label="2026-10")

    case.refresh_from_db()
    october.refresh_from_db()
    assert october.total == D("2000.00")
    assert case.statement_line is not None
    assert case.statement_line.statement == october
    assert case.statement_line.rule_id == line.rule_id
    assert case.statement_line.amount == D("2000.00")
