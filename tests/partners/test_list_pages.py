"""The directory's and the deal list's pages, read with queries compiled once, give what
`partner_list` and `deal_list` give, for every scope."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db.models import F
from guardian.shortcuts import assign_perm, remove_perm

from partners.models import (
    DealRegistration,
    Partner,
    PartnerGrantTotal,
    PartnerUserObjectPermission,
)
from partners.permissions import MANAGE_PARTNER, managed_scope
from partners.selectors import (
    SCOPE_IDS,
    PartnerFilters,
    counted_in_scope,
    deal_list,
    deal_list_pages,
    partner_directory,
    partner_list,
    partner_scope,
    partner_visible_queryset,
)
from partners.selectors.directory import (
    SCOPE_ALL,
    SCOPE_MANAGED,
    SCOPE_MANAGED_IN_GROUP,
    scope_share,
)
from prm.core.models import RowTally
from prm.core.prepared import PreparedQuery

from ..factories import PartnerFactory
from .factories import DealLineFactory, DealRegistrationFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

ROLES = ["vendor_admin", "cm_assigned", "cm_unassigned", "cm_in_group", "partner_admin"]


@pytest.fixture
def listed(world):
    """More partners with territories and deals with product lines; a channel manager who
    manages partner B through a group."""
    north, south = TerritoryFactory(code="TW-TPE"), TerritoryFactory(code="TW-KHH")
    world.partner.territories.set([south, north])
    for code in ("P-C", "P-D", "P-E"):
        PartnerFactory(code=code, status="suspended" if code == "P-D" else "active")
    lines = [DealLineFactory(code="WLAN"), DealLineFactory(code="NET")]
    for partner in (world.partner, world.partner, world.other_partner):
        DealRegistrationFactory(partner=partner, product_lines=lines)
    DealRegistrationFactory(
        partner=world.partner,
        status="approved",
        has_conflict=True,
        protected_until=dt.date(2030, 1, 31),
    )
    group = Group.objects.create(name="Channel leads")
    assign_perm(MANAGE_PARTNER, group, world.other_partner)
    manager = world.users["cm_unassigned"]
    manager.groups.add(group)
    world.users["cm_in_group"] = type(manager).objects.get(pk=manager.pk)
    return world


def _pages(rows, per_page: int = 2) -> tuple[int, list]:
    paginator = Paginator(rows, per_page)
    return paginator.count, [r for n in paginator.page_range for r in paginator.page(n)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "filters",
    [
        PartnerFilters(),
        PartnerFilters(sort="-name"),
        PartnerFilters(status="suspended"),
        PartnerFilters(search="p-", sort="-code"),
        PartnerFilters(territory="TW", sort="attainment"),
    ],
)
def test_directory_pages_list_what_partner_list_lists(listed, role, filters):
    user = listed.users[role]
    expected = list(partner_list(user=user, filters=filters).prefetch_related("territories"))
    count, partners = _pages(partner_directory(user=user, filters=filters))
    assert count == len(expected)
    assert [p.code for p in partners] == [p.code for p in expected]
    assert [p.territory_codes for p in partners] == [
        [t.code for t in p.territories.all()] for p in expected
    ]
    assert [(p.member_count, p.attainment) for p in partners] == [
        (p.member_count, p.attainment) for p in expected
    ]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"sort": "value"},
        {"status": "approved"},
        {"status": "pending"},
        {"conflict_only": True},
        {"search": "P-B"},
    ],
)
def test_deal_list_pages_list_what_deal_list_lists(listed, role, query):
    user = listed.users[role]
    current = listed.partner if role == "partner_admin" else None
    expected = list(deal_list(user=user, current_partner=current, **query))
    count, deals = _pages(deal_list_pages(user=user, current_partner=current, **query))
    assert count == len(expected)
    assert [d.pk for d in deals] == [d.pk for d in expected]
    assert [d.product_line_codes for d in deals] == [
        [line.code for line in d.product_lines.all()] for d in expected
    ]


def test_a_partner_user_without_a_current_organisation_lists_nothing(listed):
    user = listed.users["partner_admin"]
    assert _pages(partner_directory(user=user, filters=PartnerFilters())) == (0, [])
    assert _pages(deal_list_pages(user=user)) == (0, [])


def test_directory_rows_write_the_tier_and_account_manager_of_each_partner(listed):
    from django.utils import translation

    from partners.models import Partner, Tier
    from partners.templatetags.partner_tags import partner_rows

    Tier.objects.filter(code="gold").update(local_name="金牌")
    Partner.objects.filter(code="P-A").update(tier=Tier.objects.get(code="gold"))
    Partner.objects.filter(code="P-C").update(tier=None)
    manager = listed.users["cm_assigned"]
    type(manager).objects.filter(pk=manager.pk).update(full_name="Chen Wei")
    user = listed.users["vendor_admin"]
    _count, partners = _pages(partner_directory(user=user, filters=PartnerFilters()), 25)
    with translation.override("en"):
        html = partner_rows(partners, [])
    cells = {}
    for partner in partners:
        row = html.split(f">{partner.code}</a>", 1)[1].split("</tr>", 1)[0]
        tier = row.split('<td data-label="Tier">', 1)[1].split("</td>", 1)[0]
        name = row.split('<td data-label="Account manager">', 1)[1].split("</td>", 1)[0]
        cells[partner.code] = (tier, name)
    assert cells["P-A"] == ("Gold", "Chen Wei")
    assert cells["P-B"][1] == "—"
    assert cells["P-C"][0] == "—"
    with translation.override("zh-hant"):
        assert ">金牌</td>" in partner_rows(partners, [])
    type(manager).objects.filter(pk=manager.pk).update(full_name="")
    _count, partners = _pages(partner_directory(user=user, filters=PartnerFilters()), 25)
    with translation.override("en"):
        assert f">{manager.email}</td>" in partner_rows(partners, [])


def _scoped_count(user, rows, *, granted: bool = False) -> int | None:
    """The rows of `rows` in the partner scope of `user`, counted by `counted_in_scope` with
    its SQL compiled once (as the list pages count them); None without a scope. With
    `granted`, a channel manager's scope is that of their grants even when they hold every
    partner (which `partner_scope` reads as every partner's)."""
    scope = partner_scope(user=user)
    if scope is None:
        return None
    kind, ids = scope
    if granted:
        permission, in_group = managed_scope(user)
        kind = SCOPE_MANAGED_IN_GROUP if in_group else SCOPE_MANAGED
        ids = {"user": user.pk, "permission": permission}
    query = PreparedQuery(
        lambda **named: counted_in_scope(rows, kind, **named), *SCOPE_IDS[kind], plan_once=True
    )
    return query(**ids)[0][0]


def _visible_count(user, rows) -> int:
    return rows.filter(partner__in=partner_visible_queryset(user=user)).count()


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned", "cm_in_group"])
def test_scoped_counts_count_the_rows_of_the_scope_s_partners(listed, role):
    user = listed.users[role]
    rows = DealRegistration.objects.all()
    assert _scoped_count(user, rows) == _visible_count(user, rows)
    assert 0 < _scoped_count(user, rows) < rows.count() or role == "vendor_admin"
    approved = rows.filter(status="approved")
    assert _scoped_count(user, approved) == _visible_count(user, approved)


@pytest.mark.parametrize("through", ["user", "group"])
def test_scoped_counts_of_a_manager_of_every_partner_count_every_row(listed, through):
    manager = listed.users["cm_assigned" if through == "user" else "cm_in_group"]
    grantee = manager if through == "user" else manager.groups.get()
    for partner in Partner.objects.all():
        assign_perm(MANAGE_PARTNER, grantee, partner)
    rows = DealRegistration.objects.all()
    manager = type(manager).objects.get(pk=manager.pk)
    assert partner_scope(user=manager)[0] == (
        SCOPE_ALL if through == "user" else SCOPE_MANAGED_IN_GROUP
    )
    assert _scoped_count(manager, rows) == rows.count() == 4
    assert _scoped_count(manager, rows, granted=True) == 4
    # A partner no grant names: the manager's rows are those of their partners again.
    DealRegistrationFactory(partner=PartnerFactory(code="P-NEW"))
    manager = type(manager).objects.get(pk=manager.pk)
    assert partner_scope(user=manager)[0] != SCOPE_ALL
    assert _scoped_count(manager, rows) == _visible_count(manager, rows) == 4
    assert _scoped_count(manager, rows, granted=True) == 4
    assert rows.count() == 5


def _grant_totals() -> dict[tuple[int, int], int]:
    return {
        (row.user_id, row.permission_id): row.total
        for row in PartnerGrantTotal.objects.exclude(total=0)
    }


def _counted_grants() -> dict[tuple[int, int], int]:
    grants = PartnerUserObjectPermission.objects.values_list("user_id", "permission_id")
    counted = {}
    for key in grants:
        counted[key] = counted.get(key, 0) + 1
    every = PartnerGrantTotal.EVERY_PARTNER
    return counted | {(every, every): Partner.objects.count()}


def test_grant_totals_follow_the_grants_and_the_partners(listed):
    assert _grant_totals() == _counted_grants()
    manager, admin = listed.users["cm_assigned"], listed.users["vendor_admin"]
    new = [PartnerFactory(code=f"P-N{i}") for i in range(3)]
    assert _grant_totals() == _counted_grants()
    for partner in new:
        assign_perm(MANAGE_PARTNER, manager, partner)
    assign_perm(MANAGE_PARTNER, admin, listed.other_partner)
    assert _grant_totals() == _counted_grants()
    remove_perm(MANAGE_PARTNER, manager, new[1])
    PartnerUserObjectPermission.objects.filter(user=admin).update(user=manager)
    assert _grant_totals() == _counted_grants()
    new[2].delete()
    Partner.objects.filter(pk=new[0].pk).delete()
    assert _grant_totals() == _counted_grants()
    permission = PartnerUserObjectPermission.objects.filter(user=manager).first().permission_id
    assert _grant_totals()[(manager.pk, permission)] == 2
    assert (admin.pk, permission) not in _grant_totals()


@pytest.mark.parametrize("role", ["cm_assigned", "cm_in_group"])
def test_scope_share_gives_the_partners_in_the_scope_and_in_all(listed, role):
    kind, ids = partner_scope(user=listed.users[role])
    assert scope_share(kind)(**ids) == {"inside": 1, "partners": 5}
    manager = listed.users["cm_assigned"]
    for partner in Partner.objects.exclude(pk=listed.partner.pk):
        assign_perm(MANAGE_PARTNER, manager, partner)
    inside = 5 if role == "cm_assigned" else 1
    assert scope_share(kind)(**ids) == {"inside": inside, "partners": 5}


@pytest.mark.parametrize(
    "query", [{}, {"status": "approved"}, {"status": "pending"}, {"search": "P-B"}]
)
def test_deal_list_pages_of_a_manager_of_every_partner_count_every_deal(listed, query):
    manager = listed.users["cm_assigned"]
    for partner in Partner.objects.all():
        assign_perm(MANAGE_PARTNER, manager, partner)
    manager = type(manager).objects.get(pk=manager.pk)
    expected = list(deal_list(user=manager, **query))
    count, deals = _pages(deal_list_pages(user=manager, **query))
    assert count == len(expected) == len(deals)
    assert count == DealRegistration.objects.filter(**_deal_filter(query)).count()
    # A partner no grant names: the count is of the manager's partners' deals again.
    DealRegistrationFactory(
        partner=PartnerFactory(code="P-NEW"),
        status="approved",
        protected_until=dt.date(2030, 1, 31),
    )
    manager = type(manager).objects.get(pk=manager.pk)
    count, deals = _pages(deal_list_pages(user=manager, **query))
    assert count == len(list(deal_list(user=manager, **query))) == len(deals)
    assert "P-NEW" not in {deal.partner_code for deal in deals}


@pytest.mark.parametrize(
    ("query", "tallied"),
    [
        ({}, True),
        ({"status": "pending"}, True),
        ({"status": "approved"}, False),
        ({"search": "P-B"}, False),
        ({"conflict_only": True}, False),
    ],
)
@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned"])
def test_every_deal_and_the_pending_ones_are_counted_by_their_tallies(listed, role, query, tallied):
    user = listed.users[role]
    if role == "cm_assigned":
        for partner in Partner.objects.all():
            assign_perm(MANAGE_PARTNER, user, partner)
        user = type(user).objects.get(pk=user.pk)
    count = Paginator(deal_list_pages(user=user, **query), 2).count
    assert count == len(list(deal_list(user=user, **query)))
    # A tally read, not the rows counted: a change to the tally alone shows in the count.
    for name in (DealRegistration.ALL_TALLY, DealRegistration.PENDING_TALLY):
        slot = RowTally.objects.filter(name=name).order_by("slot").first()
        RowTally.objects.filter(pk=slot.pk).update(total=F("total") + 100)
    moved = Paginator(deal_list_pages(user=user, **query), 2).count
    assert moved == count + (100 if tallied else 0)


def _deal_filter(query: dict) -> dict:
    if "status" in query:
        return {"status": query["status"]}
    if "search" in query:
        return {"partner__code": query["search"]}
    return {}


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned", "cm_in_group"])
def test_unfiltered_directory_counts_follow_the_grants_and_the_partners(listed, role):
    def counts() -> tuple[int, int]:
        user = type(listed.users[role]).objects.get(pk=listed.users[role].pk)
        filters = PartnerFilters(sort="-name")
        count, partners = _pages(partner_directory(user=user, filters=filters), 25)
        assert len(partners) == count
        return count, partner_list(user=user, filters=filters).count()

    count, expected = counts()
    assert count == expected
    manager = listed.users["cm_assigned"]
    for partner in Partner.objects.all():
        assign_perm(MANAGE_PARTNER, manager, partner)
    count, expected = counts()
    assert count == expected
    remove_perm(MANAGE_PARTNER, manager, listed.partner)
    PartnerFactory(code="P-NEW")
    count, expected = counts()
    assert count == expected
    Partner.objects.filter(code="P-E").delete()
    count, expected = counts()
    assert count == expected
    assert count == {"vendor_admin": 5, "cm_assigned": 3, "cm_in_group": 1}[role]
