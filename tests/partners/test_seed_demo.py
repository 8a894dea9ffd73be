import pytest
from django.core.management import call_command

from partners.models import DealRegistration, Partner, PartnerAward, Target, Territory

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_channel_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    assert Territory.objects.filter(code__startswith="TW-").count() >= 5
    deals = DealRegistration.objects.order_by("pk")
    assert [d.status for d in deals] == ["approved", "pending", "pending"]
    # The Hong Kong distributor registered TSMC in Chinese: flagged against Formosa's approval.
    assert [d.has_conflict for d in deals] == [True, False, True]
    assert Target.objects.get(status="agreed").partner.code == "P-FORMOSA"
    assert Partner.objects.flagged().get().code == "P-HARBOUR"
    assert PartnerAward.objects.count() == 2
