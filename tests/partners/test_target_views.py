"""Target pages: scorecard and threads, propose, accept, counter."""

from decimal import Decimal

import pytest
from django.urls import reverse

from partners.models import Target, TargetProposal
from partners.periods import current_period, period_shift
from partners.services import target_proposal_accept, target_propose

pytestmark = pytest.mark.django_db


def test_channel_manager_proposes_partner_admin_counters_and_the_manager_accepts(world):
    url = reverse("target_list", kwargs={"code": "P-A"})
    cm, admin = world.client("cm_assigned"), world.client("partner_admin")

    response = cm.post(
        reverse("target_propose", kwargs={"code": "P-A"}),
        {"period": current_period(), "amount": "1000000", "note": "Run rate"},
        follow=True,
    )
    assert f"Your proposal for {current_period()} was sent." in response.content.decode()
    proposal = TargetProposal.objects.get()

    page = admin.get(url).content.decode()
    assert "TWD 1,000,000.00" in page
    assert "Counter-propose" in page
    assert "Accept" in page
    admin.post(
        reverse("target_proposal_counter", kwargs={"code": "P-A", "pk": proposal.pk}),
        {"amount": "900000", "note": "Slow quarter"},
    )
    counter = TargetProposal.objects.get(status="open")
    assert counter.side == "partner"
    # The partner cannot accept its own counter-proposal; the page does not offer it.
    own = admin.post(
        reverse("target_proposal_accept", kwargs={"code": "P-A", "pk": counter.pk}), follow=True
    )
    assert "The other side answers your proposal." in own.content.decode()

    accepted = cm.post(
        reverse("target_proposal_accept", kwargs={"code": "P-A", "pk": counter.pk}), follow=True
    )
    assert f"The target for {current_period()} is agreed." in accepted.content.decode()
    target = Target.objects.get()
    assert (target.status, target.amount) == ("agreed", Decimal("900000.00"))
    page = admin.get(url).content.decode()
    assert "Agreed: TWD 900,000.00" in page
    assert "Run rate" in page
    assert "Slow quarter" in page


def test_form_errors_come_back_as_messages(world):
    client = world.client("partner_admin")
    response = client.post(
        reverse("target_propose", kwargs={"code": "P-A"}),
        {"period": "2026-1", "amount": "-5"},
        follow=True,
    )
    body = response.content.decode()
    assert "Give the period as a month: YYYY-MM." in body
    assert "greater than or equal to 0.01" in body
    past = client.post(
        reverse("target_propose", kwargs={"code": "P-A"}),
        {"period": "2001-01", "amount": "5"},
        follow=True,
    )
    assert "this month or a later one" in past.content.decode()
    proposal = target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["vendor_admin"],
    )
    bad_counter = client.post(
        reverse("target_proposal_counter", kwargs={"code": "P-A", "pk": proposal.pk}),
        {"amount": ""},
        follow=True,
    )
    assert "This field is required." in bad_counter.content.decode()
    assert TargetProposal.objects.count() == 1


def test_proposals_of_another_partner_are_not_found(world):
    foreign = target_propose(
        partner=world.other_partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["vendor_admin"],
    )
    client = world.client("partner_admin")
    for name in ("target_proposal_accept", "target_proposal_counter"):
        response = client.post(
            reverse(name, kwargs={"code": "P-A", "pk": foreign.pk}), {"amount": "5"}
        )
        assert response.status_code == 404


def test_finance_and_sales_follow_targets_without_negotiating(world):
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["cm_assigned"],
    )
    body = (
        world.client("partner_finance")
        .get(reverse("target_list", kwargs={"code": "P-A"}))
        .content.decode()
    )
    assert "Propose a target" not in body
    assert "Counter-propose" not in body
    assert "negotiate targets" in body


def _negotiate(world, months):
    for offset in range(months):
        proposal = target_propose(
            partner=world.partner,
            period=period_shift(current_period(), offset),
            amount=Decimal("1000"),
            actor=world.users["cm_assigned"],
        )
        if offset % 2:
            target_proposal_accept(proposal=proposal, actor=world.users["partner_admin"])


# session, user, [memberships], partner, targets (scorecard), targets, their proposals.
QUERIES_TARGET_LIST = {"vendor_admin": 6, "partner_admin": 7}


@pytest.mark.parametrize("role", list(QUERIES_TARGET_LIST))
def test_target_list_runs_constant_queries(world, role, no_sale_model, django_assert_num_queries):
    client = world.client(role)
    url = reverse("target_list", kwargs={"code": "P-A"})
    _negotiate(world, 2)
    client.get(url)
    with django_assert_num_queries(QUERIES_TARGET_LIST[role]):
        client.get(url)
    Target.objects.all().delete()
    _negotiate(world, 10)
    with django_assert_num_queries(QUERIES_TARGET_LIST[role]):
        response = client.get(url)
    assert len(response.context["targets"]) == 10
