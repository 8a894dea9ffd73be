import datetime
import io
import itertools
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from commissions.models import Sale
from disputes.models import Case, CaseStatusChange
from enablement.models import Certification, TierCertificationRequirement, TierRequirements
from enablement.services import certificate_earn
from enablement.tiers import revenue_window, tier_evaluations
from partners.models import Partner, Tier
from tests.agreements.factories import ProductFactory
from tests.factories import MembershipFactory, PartnerFactory

D = datetime.date
ON = D(2026, 6, 15)
_ids = itertools.count()


@pytest.fixture
def ladder(db):
    registered = Tier.objects.create(code="registered", name="Registered", rank=1)
    silver = Tier.objects.create(code="silver", name="Silver", rank=2)
    gold = Tier.objects.create(code="gold", name="Gold", rank=3)
    net = Certification.objects.create(code="NET-PRO", name="Net Pro", validity_months=24)
    TierRequirements.objects.create(tier=silver, revenue_12m=Decimal("1000.00"))
    rule = TierRequirements.objects.create(
        tier=gold, revenue_12m=Decimal("5000.00"), max_open_incidents=0
    )
    TierCertificationRequirement.objects.create(requirements=rule, certification=net, count=2)
    return {"registered": registered, "silver": silver, "gold": gold, "net": net}


def _sale(partner, amount, day, kind=Sale.Kind.SALE, product=None):
    original = None
    if kind == Sale.Kind.RETURN:
        original = _sale(partner, "0.00", D(2000, 1, 1), product=product)
    return Sale.objects.create(
        original=original,
        external_id=f"S{next(_ids)}",
        partner=partner,
        product=product or ProductFactory(),
        customer_name="Customer",
        invoice_date=day,
        kind=kind,
        quantity=Decimal("1"),
        net_amount=Decimal(amount),
        currency=partner.currency,
    )


def _noon(day):
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=tz)


def _one(partner, on=ON):
    [result] = tier_evaluations(on=on, partners=[partner])
    return result


def _gap(result, requirement):
    return next(g for g in result["gaps"] if g["requirement"] == requirement)


def test_revenue_exactly_at_the_requirement_qualifies_and_one_cent_below_does_not(ladder):
    at = PartnerFactory(tier=ladder["registered"])
    below = PartnerFactory(tier=ladder["registered"])
    product = ProductFactory()
    _sale(at, "600.00", D(2026, 1, 10), product=product)
    _sale(at, "400.00", D(2026, 6, 14), product=product)
    _sale(below, "999.99", D(2026, 6, 14), product=product)
    result = _one(at)
    assert result["revenue_12m"] == "1000.00"
    assert (result["qualified"], result["proposal"], result["next_tier"]) == (
        "silver",
        "promote",
        "silver",
    )
    assert result["gaps"] == [
        {"requirement": "revenue_12m", "required": "1000.00", "actual": "1000.00", "met": True}
    ]
    low = _one(below)
    assert (low["qualified"], low["proposal"]) == ("registered", "keep")
    assert _gap(low, "revenue_12m") == {
        "requirement": "revenue_12m",
        "required": "1000.00",
        "actual": "999.99",
        "met": False,
    }


def test_returns_inside_the_window_subtract_and_outside_do_not(ladder):
    partner = PartnerFactory(tier=ladder["registered"])
    _sale(partner, "1500.00", D(2026, 1, 1))
    _sale(partner, "300.00", D(2026, 3, 1), kind=Sale.Kind.RETURN)  # inside
    _sale(partner, "900.00", D(2025, 6, 14), kind=Sale.Kind.RETURN)  # the day before the window
    _sale(partner, "900.00", D(2026, 6, 15), kind=Sale.Kind.RETURN)  # on D: outside
    _sale(partner, "100.00", D(2025, 6, 15))  # first day of the window: inside
    result = _one(partner)
    assert result["revenue_12m"] == "1300.00"
    assert result["qualified"] == "silver"


def test_the_window_on_29_february_starts_on_28_february():
    assert revenue_window(D(2028, 2, 29)) == (D(2027, 2, 28), D(2028, 2, 29))
    assert revenue_window(D(2027, 3, 1)) == (D(2026, 3, 1), D(2027, 3, 1))


def test_29_february_evaluation_counts_28_february_of_the_year_before(ladder):
    partner = PartnerFactory(tier=ladder["registered"])
    _sale(partner, "1000.00", D(2027, 2, 28))
    _sale(partner, "5.00", D(2027, 2, 27))
    assert _one(partner, on=D(2028, 2, 29))["revenue_12m"] == "1000.00"


def _gold_candidate(ladder, certified=2):
    partner = PartnerFactory(tier=ladder["silver"])
    _sale(partner, "5000.00", D(2026, 5, 1))
    members = [MembershipFactory(partner=partner) for _ in range(certified)]
    for m in members:
        certificate_earn(user=m.user, certification=ladder["net"], earned=D(2025, 1, 10))
    return partner, members


def test_two_certified_members_and_no_incident_qualify_for_gold(ladder):
    partner, _ = _gold_candidate(ladder)
    result = _one(partner)
    assert (result["qualified"], result["proposal"], result["next_tier"]) == (
        "gold",
        "promote",
        "gold",
    )
    assert result["gaps"] == [
        {"requirement": "revenue_12m", "required": "5000.00", "actual": "5000.00", "met": True},
        {"requirement": "certifications:NET-PRO", "required": "2", "actual": "2", "met": True},
        {"requirement": "max_open_incidents", "required": "0", "actual": "0", "met": True},
    ]


def test_a_certificate_expiring_on_the_evaluation_date_does_not_count(ladder):
    partner, _members = _gold_candidate(ladder, certified=1)
    other = MembershipFactory(partner=partner)
    cert = certificate_earn(user=other.user, certification=ladder["net"], earned=D(2024, 6, 15))
    assert cert.expires == ON
    result = _one(partner)
    assert _gap(result, "certifications:NET-PRO")["actual"] == "1"
    assert result["qualified"] == "silver"
    assert _gap(_one(partner, on=D(2026, 6, 14)), "certifications:NET-PRO")["actual"] == "2"


def test_a_member_who_left_does_not_count(ladder):
    partner, members = _gold_candidate(ladder)
    members[0].is_active = False
    members[0].save(update_fields=["is_active"])
    result = _one(partner)
    assert _gap(result, "certifications:NET-PRO") == {
        "requirement": "certifications:NET-PRO",
        "required": "2",
        "actual": "1",
        "met": False,
    }
    assert result["proposal"] == "keep"


def test_an_open_compliance_incident_blocks_gold_until_closed(ladder):
    partner, _ = _gold_candidate(ladder)
    now = timezone.now()
    case = Case.objects.create(
        kind=Case.Kind.COMPLIANCE,
        incident=Case.Incident.MAP_VIOLATION,
        severity=Case.Severity.LOW,
        subject="MAP",
        description="Below MAP",
        partner=partner,
        first_response_due=now,
        resolution_due=now,
    )
    Case.objects.filter(pk=case.pk).update(created_at=_noon(D(2026, 6, 1)))
    result = _one(partner)
    assert _gap(result, "max_open_incidents")["actual"] == "1"
    assert result["qualified"] == "silver"
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    CaseStatusChange.objects.create(
        case=case,
        to_status=Case.Status.CLOSED,
        created_at=_noon(D(2026, 6, 10)),
    )
    assert _one(partner)["qualified"] == "gold"
    # Closed after D: still open on D.
    assert _one(partner, on=D(2026, 6, 5))["qualified"] == "silver"


def test_a_tier_with_no_requirements_always_qualifies_and_higher_demotes(ladder):
    partner = PartnerFactory(tier=ladder["gold"])
    result = _one(partner)
    assert (result["current"], result["qualified"], result["proposal"]) == (
        "gold",
        "registered",
        "demote",
    )
    assert (result["next_tier"], result["gaps"]) == (None, [])


def test_evaluate_tiers_prints_every_partner_sorted_and_changes_nothing(ladder):
    b = PartnerFactory(code="P-B", tier=ladder["registered"])
    PartnerFactory(code="P-A", tier=ladder["silver"])
    _sale(b, "1000.00", D(2026, 6, 1))
    out = io.StringIO()
    call_command("evaluate_tiers", "--date", "2026-06-15", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert [x["partner"] for x in data] == ["P-A", "P-B"]
    assert data[1] == {
        "partner": "P-B",
        "current": "registered",
        "qualified": "silver",
        "proposal": "promote",
        "revenue_12m": "1000.00",
        "next_tier": "silver",
        "gaps": [
            {"requirement": "revenue_12m", "required": "1000.00", "actual": "1000.00", "met": True}
        ],
    }
    assert data[0]["proposal"] == "demote"
    assert Partner.objects.get(code="P-A").tier.code == "silver"


def _population(ladder, n):
    product = ProductFactory()
    for _ in range(n):
        partner, _ = _gold_candidate(ladder, certified=1)
        _sale(partner, "10.00", D(2026, 2, 1), kind=Sale.Kind.RETURN, product=product)


@pytest.mark.parametrize("n", [3, 9])
def test_the_evaluation_runs_a_constant_number_of_queries(ladder, n, django_assert_num_queries):
    _population(ladder, n)
    with django_assert_num_queries(6):
        result = tier_evaluations(on=ON)
    assert len(result) == n
