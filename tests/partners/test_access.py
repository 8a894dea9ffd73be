"""Another partner's deals, targets and users answer 404 to partner users and to channel
managers not assigned to that partner, in pages and in the API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from partners.models import Membership
from partners.periods import current_period
from partners.services import target_propose

from ..conftest import ROLES
from .factories import DealRegistrationFactory

pytestmark = pytest.mark.django_db

# Roles that may see partner B's objects: vendor admins see all, other_partner belongs to B.
SEES_B = {"vendor_admin", "other_partner"}


@pytest.mark.parametrize("role", ROLES)
def test_other_partners_deals_answer_404(world, role):
    deal = DealRegistrationFactory(partner=world.other_partner)
    client = world.client(role)
    for name in ("deal_detail", "api:deal-detail"):
        response = client.get(reverse(name, kwargs={"pk": deal.pk}))
        if role == "anonymous":
            assert response.status_code in (302, 401)
        elif role == "partner_finance":
            assert response.status_code == 403  # finance has no deals at all
        elif role in SEES_B:
            assert response.status_code == 200
        else:
            assert response.status_code == 404, (name, role)


@pytest.mark.parametrize("role", ROLES)
def test_other_partners_targets_and_users_answer_404(world, role):
    proposal = target_propose(
        partner=world.other_partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["vendor_admin"],
    )
    member = Membership.objects.get(user=world.users["other_partner"])
    client = world.client(role)
    pages = [
        ("get", reverse("target_list", kwargs={"code": "P-B"}), {}),
        (
            "post",
            reverse("target_proposal_counter", kwargs={"code": "P-B", "pk": proposal.pk}),
            {"amount": "5"},
        ),
        (
            "post",
            reverse("membership_role_change", kwargs={"code": "P-B", "pk": member.pk}),
            {"role": "admin"},
        ),
        (
            "post",
            reverse(
                "deal_approve",
                kwargs={"pk": DealRegistrationFactory(partner=world.other_partner).pk},
            ),
            {"reason": "x"},
        ),
    ]
    for method, url, data in pages:
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            assert response.status_code == 302
        elif role in SEES_B:
            assert response.status_code in (200, 302, 403), (url, role)
        elif response.status_code != 403:  # a role refused outright never reaches the object
            assert response.status_code == 404, (url, role, response.status_code)
