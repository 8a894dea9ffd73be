"""The directory's and the deal list's pages, read with queries compiled once, give what
`partner_list` and `deal_list` give, for every scope."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from guardian.shortcuts import assign_perm

from partners.permissions import MANAGE_PARTNER
from partners.selectors import (
    PartnerFilters,
    deal_list,
    deal_list_pages,
    partner_directory,
    partner_list,
)

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
    [{}, {"sort": "value"}, {"status": "approved"}, {"conflict_only": True}, {"search": "P-B"}],
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
