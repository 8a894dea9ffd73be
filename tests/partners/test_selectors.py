import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from partners.selectors import partner_list, partner_status_counts, partner_visible_queryset

from ..factories import ChannelManagerFactory, MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_vendor_admin_sees_every_partner(world):
    codes = set(
        partner_visible_queryset(user=world.users["vendor_admin"]).values_list("code", flat=True)
    )
    assert codes == {"P-A", "P-B"}


def test_channel_manager_sees_assigned_partners_only(world):
    assert list(partner_visible_queryset(user=world.users["cm_assigned"])) == [world.partner]
    assert list(partner_visible_queryset(user=world.users["cm_unassigned"])) == []


def test_channel_manager_with_view_all_sees_every_partner(world):
    manager = world.users["cm_unassigned"]
    assign_perm("partners.view_all_partners", manager)
    manager = type(manager).objects.get(pk=manager.pk)  # fresh permission cache
    assert partner_visible_queryset(user=manager).count() == 2


def test_channel_manager_with_view_all_through_a_group_sees_every_partner(world):
    group = Group.objects.create(name="Channel leads")
    assign_perm("partners.view_all_partners", group)
    manager = world.users["cm_unassigned"]
    manager.groups.add(group)
    manager = type(manager).objects.get(pk=manager.pk)
    assert partner_visible_queryset(user=manager).count() == 2
    assert partner_visible_queryset(user=world.users["cm_assigned"]).count() == 1


def test_partner_user_sees_only_the_current_organisation(world):
    user = world.users["partner_admin"]
    assert list(partner_visible_queryset(user=user, current_partner=world.partner)) == [
        world.partner
    ]
    # Naming another partner as current does not widen the scope.
    assert list(partner_visible_queryset(user=user, current_partner=world.other_partner)) == []
    assert list(partner_visible_queryset(user=user)) == []


def test_inactive_membership_gives_no_access():
    membership = MembershipFactory(is_active=False)
    assert not partner_visible_queryset(
        user=membership.user, current_partner=membership.partner
    ).exists()


def test_partner_list_search_and_status_filter(world):
    admin = world.users["vendor_admin"]
    PartnerFactory(code="P-Z", name="Zeta Networks", status="suspended")
    assert [p.code for p in partner_list(user=admin, search="zeta")] == ["P-Z"]
    assert [p.code for p in partner_list(user=admin, status="suspended")] == ["P-Z"]
    assert [p.code for p in partner_list(user=admin, search="p-a")] == ["P-A"]


def test_partner_list_counts_active_members(world):
    rows = {p.code: p.member_count for p in partner_list(user=world.users["vendor_admin"])}
    assert rows == {"P-A": 3, "P-B": 1}


def test_status_counts_include_every_status(world):
    counts = partner_status_counts(
        partners=partner_visible_queryset(user=world.users["vendor_admin"])
    )
    assert [row["status"] for row in counts] == [
        "prospect",
        "onboarding",
        "active",
        "suspended",
        "terminated",
    ]
    assert {row["status"]: row["count"] for row in counts}["active"] == 2


def test_anonymous_and_unaffiliated_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not partner_visible_queryset(user=AnonymousUser()).exists()
    assert not partner_visible_queryset(user=UserFactory()).exists()
    assert not partner_visible_queryset(user=ChannelManagerFactory(is_active=False)).exists()
