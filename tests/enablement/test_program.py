import datetime

import pytest

from agreements.services.program import ProgramFileError, program_load
from enablement.models import Certificate, Certification, TierPolicy, TierRequirements
from partners.models import Tier

D = datetime.date


def _program(**overrides) -> dict:
    data = {
        "certifications": [{"code": "NET-PRO", "name": "Networking Pro", "validity_months": 24}],
        "tiers": [
            {"code": "registered", "name": "Registered", "rank": 1},
            {
                "code": "gold",
                "name": "Gold",
                "rank": 3,
                "requirements": {
                    "revenue_12m": "5000000.00",
                    "certifications": {"NET-PRO": 2},
                    "max_open_incidents": 0,
                },
            },
        ],
        "partners": [
            {
                "code": "P-ACME",
                "name": "Acme",
                "tier": "registered",
                "currency": "TWD",
                "users": [{"email": "sam@acme.example", "role": "sales"}],
            }
        ],
        "certified_people": [
            {
                "email": "sam@acme.example",
                "partner": "P-ACME",
                "certification": "NET-PRO",
                "earned": "2026-01-31",
            }
        ],
        "tier_policy": {"demotion_notice_days": 60},
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_program_file_loads_enablement_sections_idempotently():
    report = program_load(_program(), today=D(2026, 3, 1))
    assert report.created["certifications"] == 1
    assert report.created["certified_people"] == 1
    cert = Certificate.objects.get()
    assert (cert.user.email, cert.certification.code) == ("sam@acme.example", "NET-PRO")
    assert cert.expires == D(2028, 1, 31)
    rule = TierRequirements.objects.get(tier__code="gold")
    assert str(rule.revenue_12m) == "5000000.00"
    assert rule.max_open_incidents == 0
    assert dict(rule.certifications.values_list("certification__code", "count")) == {"NET-PRO": 2}
    assert not TierRequirements.objects.filter(tier__code="registered").exists()
    assert TierPolicy.objects.get().demotion_notice_days == 60

    again = program_load(_program(), today=D(2026, 3, 1))
    assert again.unchanged["certifications"] == 1
    assert again.unchanged["certified_people"] == 1
    assert again.unchanged["tier_requirements"] == 2
    assert again.unchanged["tier_policy"] == 1
    assert Certificate.objects.count() == 1
    assert TierPolicy.objects.count() == 1


@pytest.mark.django_db
def test_removing_requirements_makes_the_tier_always_qualify():
    program_load(_program(), today=D(2026, 3, 1))
    data = _program()
    del data["tiers"][1]["requirements"]
    report = program_load(data, today=D(2026, 3, 1))
    assert report.updated["tier_requirements"] == 1
    assert not TierRequirements.objects.exists()
    assert Tier.objects.filter(code="gold").exists()


@pytest.mark.django_db
def test_bad_enablement_entries_are_reported_by_path_and_nothing_applies():
    data = _program(
        certifications=[{"code": "NET-PRO", "name": "Networking Pro", "validity_months": 0}],
        certified_people=[
            {
                "email": "nobody@else.example",
                "partner": "P-ACME",
                "certification": "SEC-PRO",
                "earned": "2026-02-30",
            }
        ],
        tier_policy={"demotion_notice_days": -1, "grace": 3},
    )
    data["tiers"][1]["requirements"] = {
        "revenue_12m": 5000000.0,
        "certifications": {"UNKNOWN": 0},
        "max_incidents": 1,
    }
    with pytest.raises(ProgramFileError) as exc:
        program_load(data, today=D(2026, 3, 1))
    errors = exc.value.errors
    expected = [
        "certifications[0].validity_months: must be a whole number from 1 to 10000",
        "certified_people[0].earned: not a date (YYYY-MM-DD)",
        "certified_people[0].email: nobody@else.example is not a user of partner P-ACME",
        "certified_people[0].certification: unknown certification 'SEC-PRO'",
        "tiers[1].requirements.max_incidents: unknown requirement "
        "(known: certifications, max_open_incidents, revenue_12m)",
        'tiers[1].requirements.revenue_12m: not a decimal (write it as a string, e.g. "12.50")',
        "tiers[1].requirements.certifications.UNKNOWN: unknown certification 'UNKNOWN'",
        "tiers[1].requirements.certifications.UNKNOWN: must be a whole number from 1 to 10000",
        "tier_policy.grace: unknown setting (known: demotion_notice_days)",
        "tier_policy.demotion_notice_days: must be a whole number from 0 to 10000",
    ]
    for message in expected:
        assert message in errors
    assert not Certification.objects.exists()
    assert not Tier.objects.exists()
