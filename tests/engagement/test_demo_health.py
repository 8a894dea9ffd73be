"""The demo's commitments and health: misses announced once, one partner falling."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from engagement.health import health_falling, quarter_label
from engagement.models import CommitmentMiss, HealthSnapshot, Obligations
from partners.models import Partner

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_demo_has_misses_and_a_falling_partner(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=None)
    misses = CommitmentMiss.objects.count()
    call_command("seed_demo", stdout=None)

    assert misses > 0
    assert CommitmentMiss.objects.count() == misses
    assert (
        Obligations.objects.get(agreement_version__agreement__number="AG-2026-002").payout_days
        == 21
    )
    quarter = quarter_label(timezone.localdate())
    assert HealthSnapshot.objects.filter(quarter=quarter).count() == Partner.objects.count()
    assert HealthSnapshot.objects.filter(partner__code="P-HARBOUR").count() == 4
    falling = health_falling(Partner.objects.all())
    assert [s.partner.code for s in falling] == ["P-HARBOUR"]
