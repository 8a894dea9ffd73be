"""Demo cases for seed_demo: a spread of payout, pricing, conflict, compliance and other cases for
the demo distributors, of various ages, priorities and owners, some resolved and rated, one
breached and escalated. Written through the case services so history and deadlines agree; only
the opening times are moved back afterwards. Idempotent: a case whose subject already exists for
its partner is not opened again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import AgreementVersion, Product
from commissions.models import StatementLine
from partners.models import DealRegistration, Partner

from .models import Case, CaseMessage
from .services import (
    case_breaches_escalate,
    case_message_add,
    case_open,
    case_rate,
    case_reassign,
    case_resolve,
    case_status_change,
)

FORMOSA, HARBOUR = "P-FORMOSA", "P-HARBOUR"
PARTNER_USERS = [
    "admin@formosa.example",
    "finance@formosa.example",
    "admin@harbour.example",
    "sales@harbour.example",
]
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


class _Demo:
    """The demo's people and partners, and the helpers that write a case's past."""

    def __init__(self, now: dt.datetime):
        users = {u.email: u for u in get_user_model().objects.filter(email__endswith=".example")}
        self.now = now
        self.admin = users.get("admin@vendor.example")
        self.manager = users.get("cm@vendor.example")
        self.users = users
        self.partners = {p.code: p for p in Partner.objects.filter(code__in=[FORMOSA, HARBOUR])}

    @property
    def ready(self) -> bool:
        return bool(self.admin and self.manager and len(self.partners) == 2) and set(
            PARTNER_USERS
        ) <= set(self.users)

    def user(self, email: str):
        return self.users[email]

    def open(self, *, age: dt.timedelta, **fields) -> Case:
        """Open the case as it was opened `age` ago."""
        opened_at = self.now - age
        case = case_open(now=opened_at, **fields)
        Case.objects.filter(pk=case.pk).update(created_at=opened_at)
        return case

    def say(self, case: Case, *, actor, body: str, at: dt.datetime, **extra) -> None:
        message = case_message_add(case=case, actor=actor, body=body, now=at, **extra)
        CaseMessage.objects.filter(pk=message.pk).update(created_at=at)


def _once(partner: Partner, subject: str, build: Callable[[], Case | None]) -> None:
    if not Case.objects.filter(partner=partner, subject=subject).exists():
        build()


def seed_demo_cases(*, now: dt.datetime | None = None) -> None:
    """Open the demo cases that do not exist yet, then escalate what has breached."""
    demo = _Demo(now or timezone.now())
    if not demo.ready:
        return
    formosa, harbour = demo.partners[FORMOSA], demo.partners[HARBOUR]
    line = (
        StatementLine.objects.filter(statement__partner=formosa, kind=StatementLine.Kind.RULE)
        .order_by("statement__period_start", "position")
        .first()
    )
    if line is not None:
        subject = f"Statement {line.statement.period}, line {line.position}"
        _once(formosa, subject, lambda: _payout(demo, line, subject))
    product = Product.objects.filter(currency=harbour.currency, is_active=True).first()
    if product is not None:
        subject = f"Price of {product.sku} above the list we were sent"
        _once(harbour, subject, lambda: _pricing(demo, product, subject))
    deal = DealRegistration.objects.filter(
        partner=formosa, status=DealRegistration.Status.APPROVED
    ).first()
    if deal is not None:
        subject = f"Sale to protected customer {deal.customer_name}"
        _once(formosa, subject, lambda: _conflict(demo, deal, subject))
    subject = "Online listing below the minimum advertised price"
    _once(harbour, subject, lambda: _compliance(demo, subject))
    subject = "Co-marketing fund claim for the Taipei security seminar"
    _once(formosa, subject, lambda: _rated_question(demo, subject))
    version = AgreementVersion.objects.filter(agreement__partner=harbour).order_by("-pk").first()
    subject = "Notice period in the renewed agreement"
    _once(harbour, subject, lambda: _agreement_question(demo, version, subject))
    subject = "Deal registration rejected without a reason we understand"
    _once(harbour, subject, lambda: _breached(demo, subject))
    # The breached case escalates as the five-minute beat task would have done.
    case_breaches_escalate(now=demo.now)


def _payout(demo: _Demo, line: StatementLine, subject: str) -> None:
    """Resolved in six days after waiting on the partner for the invoices; rated 4."""
    finance = demo.user("finance@formosa.example")
    case = demo.open(
        age=9 * D,
        actor=finance,
        partner=demo.partners[FORMOSA],
        kind=Case.Kind.PAYOUT,
        subject=subject,
        description=(
            "The commission on this line looks short: the return of one unit seems to be "
            "deducted twice."
        ),
        statement_line=line,
    )
    start = demo.now - 9 * D
    demo.say(
        case,
        actor=demo.manager,
        body="Thank you, we are checking the returns booked in that month.",
        at=start + 5 * H,
    )
    case_status_change(
        case=case,
        actor=demo.manager,
        status=Case.Status.WAITING_ON_PARTNER,
        reason="Asked for the credit note of the returned unit.",
        now=start + D,
    )
    demo.say(
        case,
        actor=finance,
        body="Credit note CN-0912 attached to our ERP export; one unit only.",
        at=start + 3 * D,
    )
    case_resolve(
        case=case,
        actor=demo.manager,
        resolution=(
            "The return was deducted once; the line nets the return against the original sale. "
            "The explanation on the line now shows both."
        ),
        now=start + 6 * D,
    )
    case_rate(case=case, actor=finance, rating=4, comment="Clear answer, a little slow.")


def _pricing(demo: _Demo, product: Product, subject: str) -> None:
    """High priority, answered, still being worked on."""
    admin = demo.user("admin@harbour.example")
    case = demo.open(
        age=2 * D,
        actor=admin,
        partner=demo.partners[HARBOUR],
        kind=Case.Kind.PRICING,
        priority=Case.Priority.HIGH,
        subject=subject,
        description=(
            "The portal price for this item is higher than the price list circulated at the "
            "partner meeting. Which one applies to orders this month?"
        ),
        product=product,
    )
    start = demo.now - 2 * D
    demo.say(
        case,
        actor=demo.manager,
        body="The circulated list was a draft; we are confirming with product management.",
        at=start + 3 * H,
    )
    case_status_change(
        case=case,
        actor=demo.manager,
        status=Case.Status.IN_PROGRESS,
        reason="Waiting for product management to confirm the list.",
        now=start + 4 * H,
    )


def _conflict(demo: _Demo, deal: DealRegistration, subject: str) -> None:
    """Between the two distributors, parties not disclosed; the reason stays with the vendor."""
    case = demo.open(
        age=4 * D,
        actor=None,
        partner=deal.partner,
        other_partner=demo.partners[HARBOUR],
        kind=Case.Kind.CHANNEL_CONFLICT,
        priority=Case.Priority.HIGH,
        subject=subject,
        description=(
            f"A sale to {deal.customer_name} was attributed to one partner while the customer is "
            "protected by another partner's approved deal registration."
        ),
        deal=deal,
    )
    start = demo.now - 4 * D
    demo.say(
        case,
        actor=demo.manager,
        body="We are reviewing the registration and the sale. Please send us your quotes.",
        at=start + 2 * H,
    )
    case_status_change(
        case=case,
        actor=demo.manager,
        status=Case.Status.IN_PROGRESS,
        reason="Comparing the Hsinchu registration with the Kaohsiung order.",
        now=start + 3 * H,
    )
    demo.say(
        case,
        actor=demo.manager,
        body="Formosa's registration predates the order by six weeks.",
        at=start + 4 * H,
        internal=True,
    )


def _compliance(demo: _Demo, subject: str) -> None:
    """Raised by the vendor; waiting on the partner's answer (clock paused)."""
    case = demo.open(
        age=12 * D,
        actor=demo.admin,
        partner=demo.partners[HARBOUR],
        kind=Case.Kind.COMPLIANCE,
        subject=subject,
        description="A marketplace listing offers the access points 18% below the MAP.",
        incident=Case.Incident.MAP_VIOLATION,
        severity=Case.Severity.MEDIUM,
        evidence="Screenshots of the listing taken on three days; seller account linked to you.",
        penalty=Decimal("5000.00"),
    )
    start = demo.now - 12 * D
    demo.say(
        case,
        actor=demo.admin,
        body="Please take the listing down or explain who the seller is within ten days.",
        at=start + 2 * H,
    )
    case_status_change(
        case=case,
        actor=demo.admin,
        status=Case.Status.WAITING_ON_PARTNER,
        reason="Waiting for the partner's explanation.",
        now=start + 3 * H,
    )


def _rated_question(demo: _Demo, subject: str) -> None:
    """An older question, resolved within the deadlines, closed and rated 5."""
    admin = demo.user("admin@formosa.example")
    case = demo.open(
        age=20 * D,
        actor=admin,
        partner=demo.partners[FORMOSA],
        kind=Case.Kind.OTHER,
        priority=Case.Priority.LOW,
        subject=subject,
        description="Our claim for the seminar in October has not appeared on a statement.",
    )
    start = demo.now - 20 * D
    demo.say(case, actor=demo.manager, body="Found it: approved last week.", at=start + D)
    case_resolve(
        case=case,
        actor=demo.manager,
        resolution="The claim was approved and is paid with the next statement.",
        now=start + 2 * D,
    )
    case_status_change(
        case=case,
        actor=demo.manager,
        status=Case.Status.CLOSED,
        reason="Paid.",
        now=start + 5 * D,
    )
    case_rate(case=case, actor=admin, rating=5, comment="Quick and friendly.")


def _agreement_question(demo: _Demo, version: AgreementVersion | None, subject: str) -> None:
    """Handed to the vendor admin, who resolved it late; rated 3."""
    admin = demo.user("admin@harbour.example")
    case = demo.open(
        age=30 * D,
        actor=admin,
        partner=demo.partners[HARBOUR],
        kind=Case.Kind.AGREEMENT if version else Case.Kind.OTHER,
        subject=subject,
        description="The renewal shortens the notice period; was that intended?",
        agreement_version=version,
    )
    start = demo.now - 30 * D
    case_reassign(
        case=case,
        actor=demo.manager,
        owner=demo.admin,
        reason="Contract terms are decided by the vendor admin.",
        now=start + 2 * H,
    )
    demo.say(case, actor=demo.admin, body="Legal is reviewing the clause.", at=start + 2 * D)
    case_resolve(
        case=case,
        actor=demo.admin,
        resolution="Intended: the notice period follows the standard terms of the silver tier.",
        now=start + 16 * D,
    )
    case_rate(case=case, actor=admin, rating=3, comment="We expected an answer sooner.")


def _breached(demo: _Demo, subject: str) -> None:
    """Urgent and never answered: past its first-response deadline, escalated by the beat."""
    demo.open(
        age=2 * D,
        actor=demo.user("sales@harbour.example"),
        partner=demo.partners[HARBOUR],
        kind=Case.Kind.OTHER,
        priority=Case.Priority.URGENT,
        subject=subject,
        description="The customer signs on Friday; we need to know why the registration failed.",
    )
