"""The demo: resources in every category (one in two versions, its first still downloadable),
written once; tiers with requirements, so that the nightly run proposes nobody and Formosa is
one certified person and some revenue short of platinum."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from enablement.demo_resources import seed_demo_resources
from enablement.models import TierChange, TierPolicy, TierRequirements
from enablement.moves import tier_moves_apply
from enablement.resource_models import Resource
from enablement.tiers import tier_evaluations
from partners.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_the_demo_has_resources_and_tiers_with_requirements():
    call_command("seed_demo", verbosity=0)
    admin = Partner.objects.get(code="P-FORMOSA").account_manager

    # Resources: one of each category, written once.
    assert seed_demo_resources(actor=admin) == 0
    assert set(Resource.objects.values_list("category", flat=True)) == set(Resource.Category.values)
    battlecard = Resource.objects.get(category=Resource.Category.COMPETITIVE_INTELLIGENCE)
    versions = list(battlecard.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert battlecard.current_version == versions[1]
    assert versions[0].file.read().startswith(b"%PDF-")

    # Tiers: every tier above the first has requirements, and a notice period is set.
    assert TierRequirements.objects.count() == 3
    assert TierPolicy.objects.get().demotion_notice_days == 90
    results = {r["partner"]: r for r in tier_evaluations(on=timezone.localdate())}
    assert {code: r["proposal"] for code, r in results.items()} == {
        "P-FORMOSA": "keep",
        "P-HARBOUR": "keep",
    }
    formosa = results["P-FORMOSA"]
    assert formosa["next_tier"] == "platinum"
    unmet = {g["requirement"] for g in formosa["gaps"] if not g["met"]}
    assert unmet == {"revenue_12m", "certifications:NET-PRO"}
    net = next(g for g in formosa["gaps"] if g["requirement"] == "certifications:NET-PRO")
    assert (net["required"], net["actual"]) == ("3", "2")
    revenue = next(g for g in formosa["gaps"] if g["requirement"] == "revenue_12m")
    assert float(revenue["actual"]) >= 0.9 * float(revenue["required"])

    # The nightly run moves nobody.
    tier_moves_apply()
    assert not TierChange.objects.exists()
