"""The demo data shows business reviews: one scheduled per active partner, one held with items."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from partners.models import BusinessReview, Partner

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_reviews_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    for partner in Partner.objects.filter(code__in=["P-FORMOSA", "P-HARBOUR"]):
        scheduled = partner.reviews.get(status=BusinessReview.Status.SCHEDULED)
        assert scheduled.organiser == partner.account_manager
    held = BusinessReview.objects.get(status=BusinessReview.Status.HELD)
    assert held.partner.code == "P-FORMOSA"
    assert held.scorecard["period_start"] < held.scorecard["period_end"]
    assert held.notes
    assert held.action_items.count() == 4
    assert held.action_items.filter(done_at__isnull=False).count() == 1


def test_admin_lists_reviews_with_their_action_items(world, client):
    call_command("seed_demo", verbosity=0)
    held = BusinessReview.objects.get(status=BusinessReview.Status.HELD)
    client.force_login(world.users["vendor_admin"])
    assert client.get(reverse("admin:partners_businessreview_changelist")).status_code == 200
    page = client.get(reverse("admin:partners_businessreview_change", args=[held.pk]))
    assert page.status_code == 200
    assert "Share the Q4 pipeline forecast" in page.content.decode()
