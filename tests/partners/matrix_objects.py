"""Objects the access matrix needs for partner URLs, built in the test's world."""

from decimal import Decimal

from partners.models import Membership
from partners.periods import current_period
from partners.services import invitation_create, target_propose

from .factories import DealRegistrationFactory


def deal_pk(world) -> dict:
    deal = DealRegistrationFactory(
        partner=world.partner, registered_by=world.users["partner_sales"]
    )
    return {"pk": deal.pk}


def pending_invitation(world):
    return invitation_create(
        partner=world.partner,
        email="newcomer@a.test",
        role=Membership.Role.SALES,
        actor=world.users["partner_admin"],
        site_url="http://testserver",
    )


def invitation_key(world) -> dict:
    return {"key": pending_invitation(world).plain_key}


def invitation_pk(world) -> dict:
    return {"code": world.partner.code, "pk": pending_invitation(world).pk}


def sales_membership_pk(world) -> dict:
    membership = Membership.objects.get(partner=world.partner, user=world.users["partner_sales"])
    return {"code": world.partner.code, "pk": membership.pk}


def partner_proposal_pk(world) -> dict:
    proposal = target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("1000000"),
        actor=world.users["partner_admin"],
    )
    return {"code": world.partner.code, "pk": proposal.pk}


def current_period_data(world) -> dict:
    return {"period": current_period(), "amount": "1200000"}
