"""A channel manager read by id (the signed-in user of every request) comes with the permission
facts of their partner scope: the same facts the query of its own gives, and none for anyone
else."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from partners import permissions
from partners.permissions import (
    VIEW_ALL_PARTNERS,
    _permission_facts,
    grant_partner_management,
    managed_scope,
    may_view_all_partners,
)
from prm.accounts.models import User

from ..factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _manager(kind: str) -> User:
    user = UserFactory(vendor_role=User.VendorRole.CHANNEL_MANAGER)
    partners = PartnerFactory.create_batch(3)
    if kind in ("own grants", "every partner"):
        for partner in partners if kind == "every partner" else partners[:2]:
            grant_partner_management(user=user, partner=partner)
    if kind == "view all":
        assign_perm(VIEW_ALL_PARTNERS, user)
    if kind in ("group", "group view all"):
        group = Group.objects.create(name=f"Managers {user.pk}")
        user.groups.add(group)
        if kind == "group view all":
            assign_perm(VIEW_ALL_PARTNERS, group)
        else:
            grant_partner_management(user=group, partner=partners[0])
    return user


KINDS = ["no grant", "own grants", "every partner", "view all", "group", "group view all"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_channel_manager_read_by_id_brings_the_facts_the_query_gives(
    kind, django_assert_num_queries
):
    manager = _manager(kind)
    queried = _permission_facts(User.objects.filter(pk=manager.pk).get())

    user = User.objects.get(pk=manager.pk)
    with django_assert_num_queries(0):
        assert _permission_facts(user) == queried
        assert may_view_all_partners(user) is queried["view_all"]
        assert managed_scope(user) == (queried["manage_id"], queried["in_group"])
    assert queried["view_all"] is (kind in ("view all", "group view all"))
    assert queried["in_group"] is kind.startswith("group")
    assert queried["managed_total"] == {"own grants": 2, "every partner": 3}.get(kind, 0)
    assert queried["partner_total"] == 3


@pytest.mark.parametrize("role", ["admin", "none"])
def test_anyone_else_read_by_id_brings_no_facts(role, django_assert_num_queries):
    vendor_role = User.VendorRole.ADMIN if role == "admin" else User.VendorRole.NONE
    user = User.objects.get(pk=UserFactory(vendor_role=vendor_role).pk)
    assert user.partner_facts_in_group is None
    assert user.partner_facts_manage_id is None
    assert user.partner_facts_partner_total is None


def test_a_channel_manager_s_facts_are_those_of_the_moment_the_user_was_read():
    manager = _manager("no grant")
    user = User.objects.get(pk=manager.pk)
    grant_partner_management(user=manager, partner=PartnerFactory())

    assert _permission_facts(user)["managed_total"] == 0
    assert _permission_facts(User.objects.get(pk=manager.pk))["managed_total"] == 1


def test_a_signed_in_channel_manager_s_pages_read_no_facts_apart(client, monkeypatch):
    def refuse(**named):
        raise AssertionError("the permission facts were read apart")

    manager = _manager("own grants")
    client.force_login(manager)
    monkeypatch.setattr(permissions, "_PERMISSION_FACTS", refuse)
    for path in ("/", "/partners/", "/deals/"):
        assert client.get(path).status_code == 200
