import pytest
from guardian.shortcuts import get_perms

from partners.models import Membership, Partner
from partners.services import (
    membership_change_role,
    membership_create,
    partner_assign_account_manager,
    partner_change_status,
    partner_create,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from ..factories import ChannelManagerFactory, PartnerFactory, UserFactory, VendorAdminFactory

pytestmark = pytest.mark.django_db


def test_partner_create_records_event_and_grants_manager():
    admin = VendorAdminFactory()
    manager = ChannelManagerFactory()

    partner = partner_create(actor=admin, code="P-NEW", name="New Co", account_manager=manager)

    assert partner.status == Partner.Status.PROSPECT
    assert "manage_partner" in get_perms(manager, partner)
    verbs = list(Event.objects.filter(partner=partner).values_list("verb", flat=True))
    assert set(verbs) == {"partner.created", "partner.account_manager_changed"}


def test_partner_create_validates_before_saving():
    admin = VendorAdminFactory()
    PartnerFactory(code="P-DUP")
    with pytest.raises(Exception, match="already exists"):
        partner_create(actor=admin, code="P-DUP", name="Again")
    assert Partner.objects.filter(code="P-DUP").count() == 1


def test_reassigning_account_manager_moves_the_object_permission():
    admin = VendorAdminFactory()
    first, second = ChannelManagerFactory(), ChannelManagerFactory()
    partner = PartnerFactory()
    partner_assign_account_manager(partner=partner, manager=first, actor=admin)

    partner_assign_account_manager(partner=partner, manager=second, actor=admin)

    assert get_perms(first, partner) == []
    assert "manage_partner" in get_perms(second, partner)


def test_only_vendor_staff_can_manage_a_partner():
    with pytest.raises(DomainError):
        partner_assign_account_manager(
            partner=PartnerFactory(), manager=UserFactory(), actor=VendorAdminFactory()
        )


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("prospect", "onboarding", True),
        ("onboarding", "active", True),
        ("active", "suspended", True),
        ("suspended", "active", True),
        ("active", "terminated", True),
        ("prospect", "active", False),
        ("terminated", "active", False),
        ("active", "onboarding", False),
    ],
)
def test_status_transitions(start, target, allowed):
    partner = PartnerFactory(status=start)
    admin = VendorAdminFactory()
    if allowed:
        partner_change_status(partner=partner, status=target, actor=admin, reason="Reviewed")
        partner.refresh_from_db()
        assert partner.status == target
        event = Event.objects.get(verb="partner.status_changed", partner=partner)
        assert (event.before, event.after, event.reason, event.actor) == (
            {"status": start},
            {"status": target},
            "Reviewed",
            admin,
        )
    else:
        with pytest.raises(InvalidTransitionError):
            partner_change_status(partner=partner, status=target, actor=admin, reason="x")
        partner.refresh_from_db()
        assert partner.status == start


def test_status_change_needs_a_reason():
    partner = PartnerFactory(status="prospect")
    with pytest.raises(DomainError) as exc:
        partner_change_status(
            partner=partner, status="onboarding", actor=VendorAdminFactory(), reason="  "
        )
    assert exc.value.field == "reason"


def test_membership_create_and_role_change():
    admin = VendorAdminFactory()
    partner = PartnerFactory()
    user = UserFactory()

    membership = membership_create(partner=partner, user=user, role="sales", actor=admin)
    membership_change_role(membership=membership, role="finance", actor=admin)

    membership.refresh_from_db()
    assert membership.role == Membership.Role.FINANCE
    event = Event.objects.get(verb="membership.role_changed")
    assert (event.before, event.after) == ({"role": "sales"}, {"role": "finance"})


def test_vendor_staff_cannot_join_a_partner():
    with pytest.raises(DomainError):
        membership_create(
            partner=PartnerFactory(), user=ChannelManagerFactory(), role="admin", actor=None
        )


def test_membership_is_unique_per_user_and_partner():
    partner, user = PartnerFactory(), UserFactory()
    membership_create(partner=partner, user=user, role="sales", actor=None)
    with pytest.raises(Exception, match="already exists"):
        membership_create(partner=partner, user=user, role="admin", actor=None)
