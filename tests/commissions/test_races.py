"""Races on one statement, each repeated 20 times on PostgreSQL: ten vendor admins approving it
at once, ten marking it paid at once, and an approval against a recompute. Every repetition
works on a statement of its own, on data committed once for the module (see `committed`)."""

import itertools
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from commissions.models import Statement, StatementLine
from commissions.services.compute import recompute
from commissions.services.statements import statement_approve, statement_mark_paid
from prm.core.errors import InvalidTransitionError
from prm.core.models import Event
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, PartnerFactory, UserFactory, VendorAdminFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

from .builders import load, partner, plan, program, sale, statement

pytestmark = POSTGRESQL
D = Decimal
RACES = range(20)
_codes = itertools.count(1)


@pytest.fixture(scope="module")
def vendor_admin(committed):  # noqa: F811
    load(
        program(
            commission_plans=[plan({"priority": 10, "line": "NET", "kind": "percent", "rate": "5"})]
        )
    )
    return VendorAdminFactory(email="boss@vendor.test")


@pytest.fixture
def computed(vendor_admin):
    """A computed draft of a partner of its own, whose finance user follows payouts."""
    owner = PartnerFactory(code=f"P-RACE-{next(_codes)}")
    email = f"finance-{owner.pk}@race.test"
    MembershipFactory(user=UserFactory(email=email), partner=owner, role="finance")
    mail.outbox = []
    draft = Statement.objects.create(
        partner=owner,
        period="2026-10",
        period_start=timezone.localdate().replace(year=2026, month=10, day=1),
        period_end=timezone.localdate().replace(year=2026, month=10, day=31),
        currency=owner.currency,
        total=D("1500.00"),
        computed_at=timezone.now(),
    )
    return draft, email


def _events(verb: str, statement: Statement) -> int:
    return Event.objects.filter(verb=verb, target_id=str(statement.pk)).count()


@pytest.mark.reliability("concurrency", "10 parallel approvals of one statement")
@pytest.mark.parametrize("attempt", RACES)
def test_ten_parallel_approvals_approve_once_record_once_and_email_once(
    computed, vendor_admin, attempt
):
    draft, email = computed

    outcome = run_parallel(*[lambda: statement_approve(statement=draft, actor=vendor_admin)] * 10)

    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert len(outcome.refused) == 9
    assert all(isinstance(exc, InvalidTransitionError) for exc in outcome.refused)
    assert Statement.objects.get(pk=draft.pk).status == "approved"
    assert _events("statement.approved", draft) == 1
    assert Notification.objects.filter(recipient__email=email).count() == 1
    assert [m.to for m in mail.outbox] == [[email]]


@pytest.mark.reliability("concurrency", "10 parallel marks-paid of one statement")
@pytest.mark.parametrize("attempt", RACES)
def test_ten_parallel_marks_paid_pay_once(computed, vendor_admin, attempt):
    draft, email = computed
    statement_approve(statement=draft, actor=vendor_admin)
    mail.outbox = []

    outcome = run_parallel(
        *[
            lambda n=n: statement_mark_paid(
                statement=draft, actor=vendor_admin, reference=f"WIRE-{n}"
            )
            for n in range(10)
        ]
    )

    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert len(outcome.refused) == 9
    paid = Statement.objects.get(pk=draft.pk)
    assert paid.status == "paid"
    assert paid.payment_reference == outcome.results[0].payment_reference
    assert _events("statement.paid", draft) == 1
    assert [m.to for m in mail.outbox] == [[email]]


def _frozen(statement_id: int) -> tuple:
    """What an approved statement is: its money and its lines."""
    row = Statement.objects.values("status", "total", "net_sales", "fingerprint").get(
        pk=statement_id
    )
    line_rows = StatementLine.objects.filter(statement_id=statement_id).order_by("position")
    return row, list(line_rows.values_list("position", "description", "amount"))


@pytest.mark.reliability("concurrency", "approve against recompute")
@pytest.mark.parametrize("attempt", RACES)
def test_racing_approval_and_recompute_never_change_what_was_approved(vendor_admin, attempt):
    # given a month's computed draft (30,000 at 5% = 1,500) and a new sale the next recompute
    # adds (40,000 → 2,000): each repetition its own partner and month
    code, month = ("P-ACME", "P-YEN")[attempt % 2], f"2026-{attempt // 2 + 1:02d}"
    sale(code, "SW-24", f"{month}-10", "30000.00")
    recompute(month_label=month, partner_ids=[partner(code).pk])
    draft = statement(code, month)
    sale(code, "SW-24", f"{month}-11", "10000.00")
    at_approval = []

    def approve():
        approved = statement_approve(statement=draft, actor=vendor_admin)
        # committed: this is what the vendor admin approved
        at_approval.append(_frozen(draft.pk))
        return approved

    # when the approval and a recompute of the statement start at the same moment
    outcome = run_parallel(
        approve, lambda: recompute(month_label=month, partner_ids=[partner(code).pk])
    )

    # then nothing changed after the approval, whoever came second, and nothing was lost
    assert outcome.errors == []
    assert outcome.refused == []
    recomputed = next(r for r in outcome.results if isinstance(r, dict))
    row, approved_lines = _frozen(draft.pk)
    assert (row, approved_lines) == at_approval[0]
    assert row["status"] == "approved"
    assert row["total"] == sum((amount for *_, amount in approved_lines), D("0"))
    event = Event.objects.get(verb="statement.approved", target_id=str(draft.pk))
    assert D(event.after["total"]) == row["total"]
    if row["total"] == D("2000"):
        # the recompute came first and the approval froze its result
        assert row["net_sales"] == D("40000")
    else:
        # the approval came first: the recompute left the approved statement alone
        assert (row["total"], row["net_sales"]) == (D("1500"), D("30000"))
        assert (recomputed["statements"], recomputed["skipped"]) == (0, 1)
