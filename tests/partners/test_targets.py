"""Targets set jointly, and the scorecard of actual vs agreed target."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from partners.models import Target, TargetProposal
from partners.periods import current_period, period_bounds, period_shift
from partners.selectors import (
    PartnerFilters,
    partner_list,
    sales_available,
    target_current_annotate,
    target_current_row,
    target_proposals_awaiting,
    target_scorecard,
    target_scorecard_current,
    target_thread_list,
)
from partners.selectors import targets as target_selectors
from partners.services import target_proposal_accept, target_proposal_counter, target_propose
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from ..factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_propose_counter_accept_keeps_the_whole_thread(world, django_capture_on_commit_callbacks):
    cm, admin = world.users["cm_assigned"], world.users["partner_admin"]
    period = period_shift(current_period(), 1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = target_propose(
            partner=world.partner,
            period=period,
            amount=Decimal("1000000"),
            actor=cm,
            note="Run rate",
        )
    assert [m.to for m in mail.outbox] == [["admin@a.test"]]  # the partner's admins hear of it
    with django_capture_on_commit_callbacks(execute=True):
        counter = target_proposal_counter(
            proposal=first, actor=admin, amount=Decimal("800000"), note="Slower quarter"
        )
    assert mail.outbox[-1].to == ["cm@vendor.test"]  # back to the account manager
    with django_capture_on_commit_callbacks(execute=True):
        target = target_proposal_accept(proposal=counter, actor=cm)

    assert (target.status, target.amount, target.currency) == (
        Target.Status.AGREED,
        Decimal("800000.00"),
        "TWD",
    )
    thread = target_thread_list(partner=world.partner)[0].proposals.all()
    assert [(p.side, p.amount, p.status) for p in thread] == [
        ("vendor", Decimal("1000000.00"), "countered"),
        ("partner", Decimal("800000.00"), "accepted"),
    ]
    assert thread[1].responded_by == cm
    assert list(
        Event.objects.filter(partner=world.partner, verb__startswith="target.")
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["target.proposed", "target.countered", "target.agreed"]
    assert mail.outbox[-1].to == ["admin@a.test"]
    assert "accepted" in mail.outbox[-1].body


def test_a_side_cannot_answer_its_own_proposal(world):
    proposal = target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["partner_admin"],
    )
    with pytest.raises(DomainError, match="other side"):
        target_proposal_accept(proposal=proposal, actor=world.users["partner_admin"])
    with pytest.raises(DomainError, match="waiting for an answer"):
        target_propose(
            partner=world.partner,
            period=current_period(),
            amount=Decimal("20"),
            actor=world.users["partner_admin"],
        )
    with pytest.raises(DomainError, match="Answer the other side"):
        target_propose(
            partner=world.partner,
            period=current_period(),
            amount=Decimal("20"),
            actor=world.users["vendor_admin"],
        )


def test_an_answered_proposal_cannot_be_answered_again(world):
    proposal = target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["cm_assigned"],
    )
    target_proposal_accept(proposal=proposal, actor=world.users["partner_admin"])
    with pytest.raises(InvalidTransitionError):
        target_proposal_counter(
            proposal=proposal, actor=world.users["partner_admin"], amount=Decimal("5")
        )
    with pytest.raises(InvalidTransitionError, match="already agreed"):
        target_propose(
            partner=world.partner,
            period=current_period(),
            amount=Decimal("99"),
            actor=world.users["cm_assigned"],
        )


@pytest.mark.parametrize(
    ("period", "amount", "message"),
    [
        ("2026-13", Decimal("10"), "YYYY-MM"),
        ("2001-01", Decimal("10"), "this month or a later one"),
        (None, Decimal("0"), "more than zero"),
    ],
)
def test_proposals_are_validated(world, period, amount, message):
    with pytest.raises(DomainError, match=message):
        target_propose(
            partner=world.partner,
            period=period or current_period(),
            amount=amount,
            actor=world.users["cm_assigned"],
        )
    assert not TargetProposal.objects.exists()


def test_awaiting_proposals_are_those_of_the_other_side(world):
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["cm_assigned"],
    )
    partners = world.partner.__class__.objects.all()
    assert target_proposals_awaiting(partners=partners, side="vendor").count() == 0
    assert target_proposals_awaiting(partners=partners, side="partner").count() == 1


def test_scorecard_says_no_sales_until_the_sales_model_exists(world, no_sale_model):
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("500"),
        actor=world.users["cm_assigned"],
    )
    scorecard = target_scorecard(partner=world.partner)
    assert not sales_available()
    assert scorecard.sales_available is False
    row = scorecard.current
    assert (row.period, row.status, row.target, row.actual, row.attainment) == (
        current_period(),
        "negotiating",
        None,
        None,
        None,
    )
    listed = partner_list(user=world.users["vendor_admin"], filters=PartnerFilters(search="P-A"))
    assert listed.get().attainment is None


def test_the_scorecard_finds_the_commissions_sale_model_when_installed():
    from django.apps import apps

    try:
        expected = apps.get_model("commissions", "Sale")
    except LookupError:
        expected = None
    assert target_selectors._sale_model() is expected
    assert sales_available() is (expected is not None)


def test_scorecard_and_attainment_read_sales_once_the_model_exists(sale_model, world):
    partner = world.partner
    this_month, last_month = current_period(), period_shift(current_period(), -1)
    for period, amount in ((last_month, "1000"), (this_month, "2000")):
        Target.objects.create(
            partner=partner,
            period=period,
            currency="TWD",
            amount=Decimal(amount),
            status=Target.Status.AGREED,
            agreed_at=timezone.now(),
        )
    start, end = period_bounds(this_month)
    last_start, _ = period_bounds(last_month)
    sale_model.objects.bulk_create(
        [
            sale_model(partner_id=partner.pk, invoice_date=start, net_amount=Decimal("1500.00")),
            sale_model(partner_id=partner.pk, invoice_date=end, net_amount=Decimal("400.00")),
            sale_model(
                partner_id=partner.pk, invoice_date=end, kind="return", net_amount=Decimal("100")
            ),
            sale_model(partner_id=partner.pk, invoice_date=last_start, net_amount=Decimal("250")),
            # Another partner's and another month's sales do not count.
            sale_model(
                partner_id=world.other_partner.pk, invoice_date=start, net_amount=Decimal("9")
            ),
            sale_model(
                partner_id=partner.pk,
                invoice_date=end + dt.timedelta(days=1),
                net_amount=Decimal("9"),
            ),
        ]
    )

    scorecard = target_scorecard(partner=partner)

    assert scorecard.sales_available
    assert [(r.period, r.actual, r.attainment) for r in scorecard.rows] == [
        (this_month, Decimal("1800.00"), Decimal("90.0")),
        (last_month, Decimal("250.00"), Decimal("25.0")),
    ]
    admin = world.users["vendor_admin"]
    row = partner_list(user=admin, filters=PartnerFilters(search="P-A")).get()
    assert (row.current_target, row.current_sales, row.attainment) == (
        Decimal("2000.00"),
        Decimal("1800.00"),
        Decimal("90.0"),
    )
    by_band = {
        band: [p.code for p in partner_list(user=admin, filters=PartnerFilters(attainment=band))]
        for band in ("below50", "50to100", "100plus", "none")
    }
    assert by_band == {"below50": [], "50to100": ["P-A"], "100plus": [], "none": ["P-B"]}
    PartnerFactory(code="P-C")
    Target.objects.create(
        partner=world.other_partner,
        period=this_month,
        currency="TWD",
        amount=Decimal("10"),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )
    sale_model.objects.create(
        partner_id=world.other_partner.pk, invoice_date=end, net_amount=Decimal("20")
    )
    ordered = [p.code for p in partner_list(user=admin, filters=PartnerFilters(sort="-attainment"))]
    assert ordered == ["P-B", "P-A", "P-C"]  # 290%, 90%, none last


def test_this_month_stays_on_the_scorecard_whatever_is_negotiated_ahead(world, no_sale_model):
    for offset in range(8):
        target_propose(
            partner=world.partner,
            period=period_shift(current_period(), offset),
            amount=Decimal("10"),
            actor=world.users["cm_assigned"],
        )
    scorecard = target_scorecard(partner=world.partner, limit=4)
    assert [row.period for row in scorecard.rows] == [
        period_shift(current_period(), offset) for offset in (3, 2, 1, 0)
    ]
    assert scorecard.current.period == current_period()


def _current_rows(world) -> list:
    """The current scorecard row of both partners, read as columns of their rows."""
    period = current_period()
    partners = world.partner.__class__.objects.filter(
        pk__in=[world.partner.pk, world.other_partner.pk]
    ).order_by("code")
    return [target_current_row(p, period) for p in target_current_annotate(partners, period)]


def test_the_current_row_read_with_the_partner_is_the_scorecard_s(sale_model, world):
    start, _end = period_bounds(current_period())
    Target.objects.create(
        partner=world.partner,
        period=current_period(),
        currency="TWD",
        amount=Decimal("2000"),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )
    sale_model.objects.bulk_create(
        [
            sale_model(partner_id=world.partner.pk, invoice_date=start, net_amount=Decimal("700")),
            sale_model(
                partner_id=world.partner.pk,
                invoice_date=start,
                kind="return",
                net_amount=Decimal("200"),
            ),
        ]
    )
    row = target_scorecard_current(partner=world.partner)
    assert (row.actual, row.attainment) == (Decimal("500"), Decimal("25.0"))
    assert _current_rows(world) == [row, None]


def test_the_current_row_read_with_the_partner_has_no_sales_without_the_model(world, no_sale_model):
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("500"),
        actor=world.users["cm_assigned"],
    )
    row = target_scorecard_current(partner=world.partner)
    assert row.actual is None
    assert _current_rows(world) == [row, None]
