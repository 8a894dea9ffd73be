"""The tier pages and API: the vendor's review queue with its evidence and decisions, "what you
need for the next tier" with progress bars and any pending demotion, and the evaluation API."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enablement.models import TierChange
from enablement.moves import tier_moves_apply
from enablement.tiers import tier_evaluations
from partners.models import Partner
from tests.factories import MembershipFactory, PartnerFactory

from .builders import sale_add, tier_set


def _today():
    return timezone.localdate()


def _recent():
    return _today() - datetime.timedelta(days=5)


@pytest.fixture
def queue(world, tier_ladder):
    """Partner A qualifies for Silver (pending promotion); partner B is under notice."""
    sale_add(world.partner, "1500.00", day=_recent())
    tier_set(world.other_partner, tier_ladder["silver"])
    tier_moves_apply(on=_today())
    return {
        "promotion": TierChange.objects.get(partner=world.partner),
        "notice": TierChange.objects.get(partner=world.other_partner),
    }


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_queue_shows_each_promotion_with_its_evidence_and_the_notices(world, queue):
    response = world.client("vendor_admin").get(reverse("tier_review_list"))
    assert response.status_code == 200
    text = _text(response)
    assert "P-A · Acme Trading" in text
    assert "Registered → Silver" in text
    assert "TWD 1,000.00" in text  # required
    assert "TWD 1,500.00" in text  # actual
    assert 'role="progressbar"' in text
    notice = queue["notice"]
    assert "P-B · Bravo Distribution" in text
    assert notice.effective_on.isoformat() in text
    assert "Revenue over the last 12 months" in text


def test_a_channel_manager_sees_only_their_partners(world, queue):
    assigned = _text(world.client("cm_assigned").get(reverse("tier_review_list")))
    unassigned = _text(world.client("cm_unassigned").get(reverse("tier_review_list")))
    assert "P-A · Acme Trading" in assigned
    assert "P-B" not in assigned
    assert "P-A" not in unassigned
    assert "No promotion is waiting for a decision." in unassigned


def _csrf_client(world, role) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[role])
    client.get(reverse("tier_review_list"))
    return client


def test_approving_needs_the_csrf_token_and_moves_the_partner(world, tier_ladder, queue):
    change = queue["promotion"]
    client = _csrf_client(world, "cm_assigned")
    url = reverse("tier_promotion_approve", kwargs={"pk": change.pk})

    assert client.post(url).status_code == 403
    change.refresh_from_db()
    assert change.status == "pending"

    token = client.cookies["csrftoken"].value
    response = client.post(url, {"csrfmiddlewaretoken": token, "reason": "Congratulations"})
    assert response.status_code == 302
    world.partner.refresh_from_db()
    assert world.partner.tier == tier_ladder["silver"]
    # a second approval (another tab) changes nothing and says why
    response = client.post(url, {"csrfmiddlewaretoken": token}, follow=True)
    assert "This promotion was already decided." in _text(response)
    assert TierChange.objects.get(pk=change.pk).status == "applied"


def test_rejecting_needs_a_reason(world, tier_ladder, queue):
    change = queue["promotion"]
    client = world.client("vendor_admin")
    url = reverse("tier_promotion_reject", kwargs={"pk": change.pk})

    response = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason the partner will see." in _text(response)
    assert TierChange.objects.get(pk=change.pk).status == "pending"

    client.post(url, {"reason": "Not this quarter"})
    change.refresh_from_db()
    assert (change.status, change.reason) == ("rejected", "Not this quarter")
    world.partner.refresh_from_db()
    assert world.partner.tier == tier_ladder["registered"]


def test_another_channel_manager_cannot_decide(world, queue):
    change = queue["promotion"]
    for role, status in (("cm_unassigned", 404), ("partner_admin", 403)):
        response = world.client(role).post(
            reverse("tier_promotion_approve", kwargs={"pk": change.pk})
        )
        assert response.status_code == status, role
    assert TierChange.objects.get(pk=change.pk).status == "pending"


@pytest.mark.parametrize("extra", [0, 4])
def test_the_queue_runs_a_fixed_number_of_queries(
    world, tier_ladder, extra, django_assert_num_queries
):
    for _i in range(extra):
        partner = PartnerFactory(tier=tier_ladder["registered"])
        sale_add(partner, "2000.00", day=_recent())
        gold = PartnerFactory(tier=tier_ladder["gold"])
        MembershipFactory(partner=gold, role="admin")
    sale_add(world.partner, "1500.00", day=_recent())
    tier_moves_apply(on=_today())
    client = world.client("vendor_admin")
    client.get(reverse("tier_review_list"))

    with django_assert_num_queries(4):
        response = client.get(reverse("tier_review_list"))

    assert _text(response).count("Registered → Silver") == 1 + extra


# What you need for the next tier ----------------------------------------------------------


def test_the_partner_sees_each_requirement_with_a_progress_bar(world, tier_ladder):
    sale_add(world.partner, "250.00", day=_recent())

    response = world.client("partner_sales").get(reverse("tier_next"))

    assert response.status_code == 200
    text = _text(response)
    assert "Requirements of Silver" in text
    assert "TWD 250.00" in text
    assert "TWD 1,000.00" in text
    bar = re.search(r'<div class="progress" role="progressbar"[^>]*>', text).group(0)
    assert 'aria-valuenow="25"' in bar
    assert 'aria-valuemin="0"' in bar
    assert 'aria-valuemax="100"' in bar
    assert "aria-labelledby=" in bar
    assert "w-25" in text
    assert "demotion-notice" not in text


def test_a_pending_demotion_shows_its_date_and_what_would_stop_it(world, tier_ladder):
    tier_set(world.partner, tier_ladder["gold"])
    sale_add(world.partner, "1200.00", day=_recent())
    tier_moves_apply(on=_today())
    notice = TierChange.objects.get(partner=world.partner)

    for language in ("en", "zh-hant"):
        response = world.client("partner_admin").get(
            reverse("tier_next"), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        text = _text(response)
        assert 'id="demotion-notice"' in text
        assert notice.effective_on.strftime("%Y-%m-%d") in text
        assert "TWD 5,000.00" in text  # Gold's requirement, which would stop it
        assert "TWD 1,200.00" in text
    text = _text(world.client("partner_admin").get(reverse("tier_next")))
    assert "Moving to Silver on" in text
    assert "Your organisation is in the highest tier." in text


def test_vendor_staff_choose_the_partner_and_the_360_page_links_to_it(world, tier_ladder):
    client = world.client("cm_assigned")
    assert "Choose a partner to see its tier evaluation." in _text(client.get(reverse("tier_next")))
    response = client.get(reverse("tier_next"), {"partner": world.partner.code})
    assert "Acme Trading" in _text(response)
    detail = client.get(reverse("partner_detail", kwargs={"code": world.partner.code}))
    assert f"{reverse('tier_next')}?partner={world.partner.code}" in detail.content.decode()


def test_a_partner_user_asking_for_another_partner_gets_404(world, tier_ladder):
    client = world.client("partner_admin")
    other = world.other_partner.code
    assert client.get(reverse("tier_next"), {"partner": other}).status_code == 404
    assert client.get(reverse("api:tier-evaluation"), {"partner": other}).status_code == 404
    own = client.get(reverse("api:tier-evaluation"), {"partner": world.partner.code})
    assert own.status_code == 200


@pytest.mark.parametrize("sales", [1, 6])
def test_the_next_tier_page_runs_a_fixed_number_of_queries(
    world, tier_ladder, sales, django_assert_num_queries
):
    for _i in range(sales):
        sale_add(world.partner, "100.00", day=_recent())
    client = world.client("partner_admin")
    client.get(reverse("tier_next"))

    with django_assert_num_queries(11):
        response = client.get(reverse("tier_next"))

    assert f"TWD {sales * 100:,}.00" in _text(response)


# API --------------------------------------------------------------------------------------


def test_the_api_gives_the_current_partners_evaluation_in_the_commands_shape(world, tier_ladder):
    sale_add(world.partner, "1500.00", day=_recent())
    [expected] = tier_evaluations(on=_today(), partners=[world.partner])

    response = world.client("partner_finance").get(reverse("api:tier-evaluation"))

    assert response.status_code == 200
    assert response.json() == expected
    assert response.json()["proposal"] == "promote"
    assert response.json()["gaps"] == [
        {"requirement": "revenue_12m", "required": "1000.00", "actual": "1500.00", "met": True}
    ]


def test_vendor_staff_name_the_partner(world, tier_ladder):
    client = world.client("vendor_admin")
    assert client.get(reverse("api:tier-evaluation")).status_code == 400
    response = client.get(reverse("api:tier-evaluation"), {"partner": "P-B"})
    assert response.json()["partner"] == "P-B"
    unassigned = world.client("cm_unassigned")
    assert unassigned.get(reverse("api:tier-evaluation"), {"partner": "P-A"}).status_code == 404
    assert Partner.objects.filter(code="P-B").exists()


def test_vendor_staff_read_the_page_about_the_partner(world, tier_ladder):
    tier_set(world.partner, tier_ladder["gold"])
    tier_moves_apply(on=_today())

    text = _text(world.client("vendor_admin").get(reverse("tier_next"), {"partner": "P-A"}))

    assert "The partner no longer meets every requirement of Gold." in text
    assert "The partner is in the highest tier." in text
    assert "Your organisation" not in text
