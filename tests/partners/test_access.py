"""Another partner's deals, targets and users answer 404 to partner users and to channel
managers not assigned to that partner, in pages and in the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.services.agreements import Terms, agreement_create, agreement_version_accept
from partners.models import Membership, Territory
from partners.periods import current_period
from partners.services import target_propose

from ..agreements.factories import ProductLineFactory
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


@pytest.mark.parametrize("role", ROLES)
def test_an_overlap_of_exclusive_agreements_names_the_other_only_to_vendor_staff(world, role):
    """Partner B's agreement overlaps partner A's exclusive one: B's users read that it
    overlaps, never A's agreement; vendor staff who may open it read both numbers."""
    ProductLineFactory(code="NET")
    Territory.objects.get_or_create(code="TW-TPE", defaults={"name": "Taipei"})
    for partner, number, user in (
        (world.partner, "AG-A-1", "partner_admin"),
        (world.other_partner, "AG-B-2", "other_partner"),
    ):
        agreement = agreement_create(
            actor=world.users["vendor_admin"],
            partner=partner,
            number=number,
            start=timezone.localdate(),
            end=timezone.localdate() + dt.timedelta(days=365),
            terms=Terms(
                effective_date=timezone.localdate(),
                territories=["TW-TPE"],
                product_lines=["NET"],
                exclusive=True,
            ),
        )
        version = agreement.versions.get()
        agreement_version_accept(
            actor=world.users[user], version=version, ip="", seen_hash=version.terms_hash
        )
    response = world.client(role).get(reverse("agreement_detail", args=["AG-B-2"]))
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role not in SEES_B:
        assert response.status_code == 404, role
        return
    content = response.content.decode()
    assert response.status_code == 200
    if role == "vendor_admin":
        assert "AG-A-1" in content
    else:
        assert "AG-A-1" not in content
        assert "overlaps another agreement" in content
