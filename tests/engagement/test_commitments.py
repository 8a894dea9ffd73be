"""Commitments measured against hand-computed cases."""

import datetime as dt
from decimal import Decimal

import pytest

from agreements.models import Agreement, AgreementVersion, PriceList
from engagement.commitments import Window, instances_measure, records
from engagement.models import Commitment, Obligations
from funds.models import Fund, FundBudget, FundRequest
from funds.services import fund_request_cancel
from partners.models import Partner

from .helpers import NOW, TODAY, YEAR, at, case, review, statement

pytestmark = pytest.mark.django_db


def _measure(partner, kind, window=YEAR):
    found = instances_measure(Partner.objects.filter(pk=partner.pk), window=window)
    return [i for i in found if i.kind == kind]


def _version(partner, **terms) -> AgreementVersion:
    agreement = Agreement.objects.create(
        number=f"AG-{partner.code}",
        partner=partner,
        status=Agreement.Status.ACTIVE,
        start=dt.date(2026, 1, 1),
        end=dt.date(2027, 12, 31),
    )
    return AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        status=AgreementVersion.Status.ACCEPTED,
        effective_date=dt.date(2026, 1, 1),
        in_force_from=dt.date(2026, 1, 1),
        **terms,
    )


# Payouts: the period of April ends on 30 April; 30 days later is 30 May.
@pytest.mark.parametrize(
    ("paid_on", "met"),
    [(dt.date(2026, 5, 30), True), (dt.date(2026, 5, 31), False)],
    ids=["day-30-met", "day-31-missed"],
)
def test_a_payout_is_met_up_to_the_thirtieth_day_after_the_period(world, paid_on, met):
    statement(world.partner, dt.date(2026, 4, 30), paid_on=paid_on)

    [payout] = _measure(world.partner, Commitment.PAYOUT)

    assert (payout.start, payout.due, payout.done, payout.met) == (
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 30),
        paid_on,
        met,
    )
    assert payout.limit == "30"


def test_an_unpaid_payout_is_missed_once_overdue_and_not_measured_before(world):
    statement(world.partner, dt.date(2026, 4, 30))  # due 30 May, still unpaid on 17 June
    statement(world.partner, dt.date(2026, 5, 31))  # due 30 June: not measured yet

    [payout] = _measure(world.partner, Commitment.PAYOUT)

    assert (payout.label, payout.done, payout.met) == ("2026-04", None, False)


def test_the_agreement_versions_obligations_override_the_programs(world):
    Obligations.objects.create(payout_days=20)
    version = _version(world.partner)
    statement(world.partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 25))
    statement(world.other_partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 25))

    # The program's 20 days: paid on day 25 is late for both.
    assert [i.met for i in _measure(world.partner, Commitment.PAYOUT)] == [False]
    Obligations.objects.create(agreement_version=version, payout_days=25)

    assert [i.met for i in _measure(world.partner, Commitment.PAYOUT)] == [True]
    assert [i.met for i in _measure(world.other_partner, Commitment.PAYOUT)] == [False]


# The SLA's clock is wall-clock hours: a weekend counts. Friday 5 June 2026, 17:00.
FRIDAY_5PM = at(dt.date(2026, 6, 5), 17)
MONDAY_9AM = at(dt.date(2026, 6, 8), 9)


@pytest.mark.parametrize(
    ("priority", "due", "met"),
    [
        ("normal", at(dt.date(2026, 6, 6), 17), False),  # 24 h: due Saturday 17:00
        ("low", at(dt.date(2026, 6, 8), 17), True),  # 72 h: due Monday 17:00
    ],
)
def test_a_first_response_across_a_weekend_is_measured_on_the_slas_clock(world, priority, due, met):
    opened = case(world.partner, opened=FRIDAY_5PM, priority=priority, responded=MONDAY_9AM)
    assert opened.first_response_due == due

    [response] = _measure(world.partner, Commitment.CASE_RESPONSE)

    assert (response.start, response.due, response.done, response.met) == (
        dt.date(2026, 6, 5),
        due.date(),
        dt.date(2026, 6, 8),
        met,
    )


def test_a_first_response_at_the_very_deadline_is_missed(world):
    opened = case(world.partner, opened=FRIDAY_5PM, priority="normal")
    opened.first_responded_at = opened.first_response_due
    opened.save(update_fields=["first_responded_at"])

    [response] = _measure(world.partner, Commitment.CASE_RESPONSE)

    assert response.met is False


@pytest.mark.parametrize(
    ("held", "met"),
    [(dt.date(2026, 4, 15), True), (dt.date(2026, 4, 16), False), (None, False)],
    ids=["on-the-day", "one-day-late", "never-held"],
)
def test_a_review_is_met_when_held_on_its_day(world, held, met):
    review(world.partner, scheduled=dt.date(2026, 4, 15), held=held)

    [instance] = _measure(world.partner, Commitment.REVIEW)

    assert (instance.due, instance.done, instance.met) == (dt.date(2026, 4, 15), held, met)


def test_a_review_still_to_come_is_not_measured(world):
    review(world.partner, scheduled=TODAY + dt.timedelta(days=3))

    assert _measure(world.partner, Commitment.REVIEW) == []


def test_price_changes_are_measured_against_the_agreements_notice(world):
    _version(world.partner, price_notice_days=30)
    early = PriceList.objects.create(
        code="TWD-JUN", name="June", currency="TWD", effective_from=dt.date(2026, 6, 1)
    )
    late = PriceList.objects.create(
        code="TWD-JUN2", name="June 2", currency="TWD", effective_from=dt.date(2026, 6, 10)
    )
    PriceList.objects.filter(pk=early.pk).update(created_at=at(dt.date(2026, 5, 2)))
    PriceList.objects.filter(pk=late.pk).update(created_at=at(dt.date(2026, 5, 12)))

    notices = _measure(world.partner, Commitment.PRICE_NOTICE)

    # 1 June needs the news by 2 May (met); 10 June by 11 May, given on 12 May (missed).
    assert [(i.label, i.due, i.done, i.met) for i in notices] == [
        ("TWD-JUN", dt.date(2026, 5, 2), dt.date(2026, 5, 2), True),
        ("TWD-JUN2", dt.date(2026, 5, 11), dt.date(2026, 5, 12), False),
    ]
    # Without an agreement in force there is no notice to measure.
    assert _measure(world.other_partner, Commitment.PRICE_NOTICE) == []


def test_last_years_instances_are_not_this_years_record(world):
    statement(world.partner, dt.date(2025, 10, 31), paid_on=dt.date(2025, 12, 20))
    statement(world.partner, dt.date(2025, 11, 30), paid_on=dt.date(2026, 1, 5))

    [payout] = _measure(world.partner, Commitment.PAYOUT)

    assert payout.label == "2025-11"


def test_records_group_by_commitment_and_leave_out_those_without_data(world):
    statement(world.partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 30))
    statement(world.partner, dt.date(2026, 3, 31), paid_on=dt.date(2026, 5, 5))
    review(world.partner, scheduled=dt.date(2026, 4, 15), held=dt.date(2026, 4, 15))

    found = records(instances_measure(Partner.objects.filter(pk=world.partner.pk), window=YEAR))

    assert [(r.kind, r.met, r.missed, r.rate) for r in found] == [
        (Commitment.PAYOUT, 1, 1, 50),
        (Commitment.REVIEW, 1, 0, 100),
    ]


def test_measuring_runs_a_constant_number_of_queries(world, django_assert_num_queries):
    partners = Partner.objects.all()
    _version(world.partner, price_notice_days=30)
    for partner in (world.partner, world.other_partner):
        statement(partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 31))
        review(partner, scheduled=dt.date(2026, 4, 15), held=dt.date(2026, 4, 16))
    window = Window.year(NOW)

    # Terms, then one query per commitment (fund requests and claims are two; price lists are
    # read only when some partner's agreement promises notice).
    with django_assert_num_queries(8):
        assert len(instances_measure(partners, window=window)) == 4


def _fund_request(partner, *, created: dt.date, k: int) -> FundRequest:
    fund = Fund.objects.create(
        code=f"mdf-{partner.code.lower()}-{k}",
        name=f"Fund {k}",
        partner=partner,
        amount=Decimal("10000.00"),
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        share=Decimal("50"),
        claim_days=30,
    )
    budget = FundBudget.objects.create(
        fund=fund, partner=partner, amount=fund.amount, currency="TWD"
    )
    request = FundRequest.objects.create(
        budget=budget,
        kind="event",
        description="Seminar",
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 7, 2),
        planned_cost=Decimal("2000.00"),
        amount=Decimal("1000.00"),
        deadline=dt.date(2026, 8, 31),
    )
    FundRequest.objects.filter(pk=request.pk).update(created_at=at(created, 10))
    request.refresh_from_db()
    return request


def test_a_fund_request_withdrawn_while_pending_is_no_missed_decision(world):
    # Each request made on 1 June is due a decision by 11 June (10 days); today is 17 June.
    actor = world.users["partner_admin"]
    waiting = _fund_request(world.partner, created=dt.date(2026, 6, 1), k=1)
    early = _fund_request(world.partner, created=dt.date(2026, 6, 1), k=2)
    fund_request_cancel(actor=actor, request=early, now=at(dt.date(2026, 6, 5), 15))
    on_the_day = _fund_request(world.partner, created=dt.date(2026, 6, 1), k=3)
    fund_request_cancel(actor=actor, request=on_the_day, now=at(dt.date(2026, 6, 11), 18))
    late = _fund_request(world.partner, created=dt.date(2026, 6, 1), k=4)
    fund_request_cancel(actor=actor, request=late, now=at(dt.date(2026, 6, 14), 9))

    measured = _measure(world.partner, Commitment.MDF_DECISION)
    found = {i.ref: (i.due, i.done, i.met) for i in measured}

    # Undecided past 11 June: missed, whether still waiting or withdrawn after the deadline;
    # the two withdrawn by 11 June asked for no decision.
    assert found == {
        f"MDF{waiting.pk}": (dt.date(2026, 6, 11), None, False),
        f"MDF{late.pk}": (dt.date(2026, 6, 11), None, False),
    }


def test_a_statement_that_pays_nothing_owes_no_payout(world):
    # Three April statements, none paid; 30 May is past. Only the one paying 1,000 is missed.
    owed = statement(world.partner, dt.date(2026, 4, 30))
    statement(world.other_partner, dt.date(2026, 4, 30), total=Decimal("0.00"))
    carried = statement(world.other_partner, dt.date(2026, 3, 31), total=Decimal("-250.00"))
    assert carried.carried_forward == Decimal("-250.00")

    found = instances_measure(Partner.objects.all(), window=YEAR)

    payouts = [(i.ref, i.met) for i in found if i.kind == Commitment.PAYOUT]
    assert payouts == [(str(owed.pk), False)]
    assert records(found)[0].missed == 1
