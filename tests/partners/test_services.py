from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from guardian.shortcuts import get_perms

from partners.models import Invitation, Membership, Partner, invitation_key_hash
from partners.services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_create,
    partner_assign_account_manager,
    partner_award_grant,
    partner_award_revoke,
    partner_change_status,
    partner_create,
    partner_risk_update,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from ..factories import ChannelManagerFactory, PartnerFactory, UserFactory, VendorAdminFactory
from .factories import AwardFactory, SegmentFactory, TerritoryFactory

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


def test_partner_create_with_scope_and_tax_id():
    territory = TerritoryFactory(code="TW-TPE")
    segment = SegmentFactory()
    partner = partner_create(
        actor=VendorAdminFactory(),
        code="P-SCOPE",
        name="Scope Co",
        tax_id="12345678",
        territories=[territory],
        segments=[segment],
    )
    assert partner.tax_id == "12345678"
    assert list(partner.territories.all()) == [territory]
    assert list(partner.segments.all()) == [segment]
    event = Event.objects.get(verb="partner.created", partner=partner)
    assert event.after["territories"] == ["TW-TPE"]


def test_risk_update_keeps_the_history_and_flags():
    partner = PartnerFactory()
    admin = VendorAdminFactory()
    partner_risk_update(
        partner=partner,
        actor=admin,
        risk_rating="low",
        credit_limit=Decimal("1000.00"),
        overdue_receivables=Decimal("0"),
        reason="Onboarding check",
    )
    partner_risk_update(
        partner=partner,
        actor=admin,
        risk_rating="medium",
        credit_limit=Decimal("1000.00"),
        overdue_receivables=Decimal("1500.00"),
        reason="Invoices 60 days overdue",
    )

    partner.refresh_from_db()
    assert (partner.risk_rating, partner.overdue_receivables) == ("medium", Decimal("1500.00"))
    assert partner.is_over_credit_limit
    assert partner.is_flagged
    assert not partner.is_high_risk
    assert list(partner.risk_assessments.values_list("risk_rating", "reason")) == [
        ("medium", "Invoices 60 days overdue"),
        ("low", "Onboarding check"),
    ]
    event = Event.objects.filter(verb="partner.risk_assessed").first()
    assert event.before["risk_rating"] == "low"
    assert event.after["risk_rating"] == "medium"
    assert Partner.objects.flagged().get() == partner


def test_risk_update_needs_a_reason_and_non_negative_amounts():
    partner = PartnerFactory()
    with pytest.raises(DomainError):
        partner_risk_update(
            partner=partner,
            actor=None,
            risk_rating="high",
            credit_limit=Decimal("1"),
            overdue_receivables=Decimal("0"),
            reason=" ",
        )
    with pytest.raises(ValidationError):
        partner_risk_update(
            partner=partner,
            actor=None,
            risk_rating="high",
            credit_limit=Decimal("-1"),
            overdue_receivables=Decimal("0"),
            reason="x",
        )
    partner.refresh_from_db()
    assert partner.risk_rating == "low"
    assert not partner.risk_assessments.exists()


def test_the_last_partner_admin_keeps_the_role(world):
    admin_membership = Membership.objects.get(user=world.users["partner_admin"])
    with pytest.raises(DomainError, match="at least one partner admin"):
        membership_change_role(membership=admin_membership, role="sales", actor=None)
    second = Membership.objects.get(user=world.users["partner_sales"])
    membership_change_role(membership=second, role="admin", actor=None)
    membership_change_role(membership=admin_membership, role="sales", actor=None)
    admin_membership.refresh_from_db()
    assert admin_membership.role == "sales"


def _invite(world, email="new.person@a.test", role="sales", actor_role="partner_admin"):
    return invitation_create(
        partner=world.partner,
        email=email,
        role=role,
        actor=world.users[actor_role],
        site_url="https://prm.example",
        full_name="New Person",
    )


def test_invitation_is_emailed_with_a_link_whose_key_is_stored_hashed(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(world, email="New.Person@A.test")

    assert invitation.email == "new.person@a.test"
    assert invitation.key_hash == invitation_key_hash(invitation.plain_key)
    assert invitation.plain_key not in invitation.key_hash
    message = mail.outbox[-1]
    assert message.to == ["new.person@a.test"]
    assert f"https://prm.example/partners/invitations/{invitation.plain_key}/" in message.body
    assert "Acme Trading" in message.subject
    assert Event.objects.filter(verb="invitation.sent", partner=world.partner).exists()


def test_a_new_invitation_replaces_the_pending_one(world):
    first = _invite(world)
    second = _invite(world, role="finance")
    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert second.status == Invitation.Status.PENDING


def test_invitations_refuse_members(world):
    with pytest.raises(DomainError, match="already a member"):
        _invite(world, email="admin@a.test")


def test_an_invitation_to_vendor_staff_is_sent_but_cannot_be_accepted(world):
    """Sent like any other (no enumeration, tests/accounts/test_enumeration.py), refused at
    acceptance."""
    invitation = _invite(world, email="cm@vendor.test")
    with pytest.raises(DomainError, match="Vendor staff"):
        invitation_accept(invitation=invitation, user=world.users["cm_assigned"])


def test_accepting_attaches_the_user_with_the_invited_role(world):
    invitation = _invite(world, role="finance")
    user = UserFactory(email="new.person@a.test", full_name="")

    membership = invitation_accept(invitation=invitation, user=user)

    assert (membership.partner, membership.role, membership.is_active) == (
        world.partner,
        "finance",
        True,
    )
    user.refresh_from_db()
    assert user.full_name == "New Person"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (Invitation.Status.ACCEPTED, user)
    # Accepting twice (a double click) is harmless.
    assert invitation_accept(invitation=invitation, user=user) == membership
    assert Membership.objects.filter(user=user).count() == 1


def test_accepting_brings_back_a_former_member(world):
    former = Membership.objects.get(user=world.users["partner_finance"])
    former.is_active = False
    former.save(update_fields=["is_active"])
    invitation = _invite(world, email="finance@a.test", role="sales")

    membership = invitation_accept(invitation=invitation, user=world.users["partner_finance"])

    assert membership.pk == former.pk
    assert (membership.is_active, membership.role) == (True, "sales")


def test_an_invitation_is_for_its_address_only_and_until_it_expires(world):
    invitation = _invite(world)
    with pytest.raises(DomainError, match="was sent to"):
        invitation_accept(invitation=invitation, user=UserFactory(email="someone@else.test"))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invitation.refresh_from_db()
    with pytest.raises(DomainError, match="no longer valid"):
        invitation_accept(invitation=invitation, user=UserFactory(email="new.person@a.test"))


def test_revoked_invitations_cannot_be_used_or_revoked_again(world):
    invitation = _invite(world)
    invitation_revoke(invitation=invitation, actor=world.users["partner_admin"])
    with pytest.raises(DomainError):
        invitation_revoke(invitation=invitation, actor=world.users["partner_admin"])
    with pytest.raises(DomainError):
        invitation_accept(invitation=invitation, user=UserFactory(email="new.person@a.test"))


def test_terminated_partners_cannot_invite(world):
    world.partner.status = Partner.Status.TERMINATED
    world.partner.save(update_fields=["status"])
    with pytest.raises(DomainError):
        _invite(world)


def test_award_grant_and_revoke_leave_events():
    partner = PartnerFactory()
    grant = partner_award_grant(
        partner=partner,
        award=AwardFactory(),
        awarded_on=date(2025, 12, 15),
        citation="Best growth",
        actor=VendorAdminFactory(),
    )
    assert list(partner.awards.all()) == [grant]
    partner_award_revoke(grant=grant, actor=None)
    assert not partner.awards.exists()
    assert list(
        Event.objects.filter(partner=partner).order_by("id").values_list("verb", flat=True)
    ) == ["partner.award_granted", "milestone.achieved", "partner.award_revoked"]
