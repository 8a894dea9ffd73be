"""Django admin: tiers, territories and segments are edited there; awards go through the
recognition services; rows written by services are read-only."""

import pytest
from django.urls import reverse

from partners.models import PartnerAward, Territory
from prm.core.models import Event

from .factories import AwardFactory, DealRegistrationFactory

pytestmark = pytest.mark.django_db


def test_territories_are_managed_in_admin_with_iso_codes(world):
    client = world.client("vendor_admin")
    url = reverse("admin:partners_territory_add")
    bad = client.post(url, {"code": "taipei", "name": "Taipei"})
    assert bad.status_code == 200
    assert "ISO 3166-2" in bad.content.decode()
    client.post(url, {"code": "TW-TPE", "name": "Taipei City", "local_name": "臺北市"})
    assert Territory.objects.get(code="TW-TPE").local_name == "臺北市"


def test_awards_are_given_and_withdrawn_through_the_services(world):
    client = world.client("vendor_admin")
    award = AwardFactory()
    client.post(
        reverse("admin:partners_partneraward_add"),
        {
            "partner": world.partner.pk,
            "award": award.pk,
            "awarded_on": "2025-12-15",
            "citation": "Best growth",
        },
    )
    grant = PartnerAward.objects.get()
    assert grant.awarded_by == world.users["vendor_admin"]
    client.post(reverse("admin:partners_partneraward_delete", args=[grant.pk]), {"post": "yes"})
    assert not PartnerAward.objects.exists()
    assert list(
        Event.objects.filter(partner=world.partner, verb__startswith="partner.award")
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["partner.award_granted", "partner.award_revoked"]


def test_service_written_rows_are_read_only_in_admin(world):
    deal = DealRegistrationFactory(partner=world.partner)
    client = world.client("vendor_admin")
    assert client.get(reverse("admin:partners_dealregistration_changelist")).status_code == 200
    page = client.get(reverse("admin:partners_dealregistration_change", args=[deal.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    for model in ("invitation", "target", "riskassessment"):
        assert client.get(reverse(f"admin:partners_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:partners_{model}_add")).status_code == 403


def test_partner_risk_and_status_cannot_be_edited_in_admin(world):
    page = world.client("vendor_admin").get(
        reverse("admin:partners_partner_change", args=[world.partner.pk])
    )
    body = page.content.decode()
    for field in ("risk_rating", "credit_limit", "overdue_receivables", "status"):
        assert f'name="{field}"' not in body, field
