"""prm.core.prepared: a queryset compiled once gives what the queryset gives, with each id."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db.models import Q

from partners.models import Membership, Partner
from partners.selectors import membership_list_for_user
from prm.core.prepared import PreparedIdsQuery, PreparedPages, PreparedQuery, counted

from ..factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _memberships(user: int):
    return (
        Membership.objects.filter(user_id=user, is_active=True)
        .select_related("partner", "partner__tier")
        .order_by("partner__code")
    )


def _snapshot(membership: Membership) -> tuple:
    partner = membership.partner
    return (
        {f.attname: getattr(membership, f.attname) for f in Membership._meta.concrete_fields},
        {f.attname: getattr(partner, f.attname) for f in Partner._meta.concrete_fields},
        partner.tier.name,
    )


@pytest.fixture
def members():
    first, second = UserFactory(), UserFactory()
    for code, overdue in (("P-Z", "1200.50"), ("P-A", "0.00"), ("P-M", "99.99")):
        partner = PartnerFactory(code=code, overdue_receivables=Decimal(overdue))
        MembershipFactory(user=first, partner=partner, role="admin")
    MembershipFactory(user=first, partner=PartnerFactory(code="P-OFF"), is_active=False)
    MembershipFactory(user=second, partner=PartnerFactory(code="P-B"), role="sales")
    return first, second


def test_each_call_gives_what_the_queryset_gives(members, django_assert_num_queries):
    prepared = PreparedQuery(_memberships, "user")
    for user in (*members, UserFactory()):
        expected = [_snapshot(m) for m in _memberships(user.pk)]
        with django_assert_num_queries(1):
            rows = prepared(user=user.pk)
            got = [_snapshot(m) for m in rows]  # partner and tier come with the row
        assert got == expected
    first = prepared(user=members[0].pk)
    assert [m.partner.code for m in first] == ["P-A", "P-M", "P-Z"]
    assert first[2].partner.overdue_receivables == Decimal("1200.50")
    assert isinstance(first[0].partner.credit_limit, Decimal)
    assert isinstance(first[0].created_at, dt.datetime)
    assert first[0].created_at.tzinfo is not None
    assert not first[0]._state.adding
    assert first[0]._state.db == "default"


def test_it_compiles_once(members):
    built = []

    def build(user):
        built.append(user)
        return _memberships(user)

    prepared = PreparedQuery(build, "user")
    assert len(prepared(user=members[0].pk)) == 3
    assert len(prepared(user=members[1].pk)) == 1
    assert len(built) == 1


def test_ids_only():
    prepared = PreparedQuery(_memberships, "user")
    with pytest.raises(TypeError, match="'user' must be an integer id"):
        prepared(user="1")
    with pytest.raises(TypeError):
        prepared(user=True)


def test_a_placeholder_the_query_does_not_use_fails_to_compile():
    prepared = PreparedQuery(lambda user: Membership.objects.filter(is_active=True), "user")
    with pytest.raises(ValueError, match="'user' does not appear"):
        prepared(user=1)


def test_every_use_of_a_placeholder_takes_the_id_and_rows_come_as_tuples(members):
    first, second = members

    def build(user):
        return (
            Membership.objects.filter(user_id=user)
            .filter(Q(user__pk=user) & Q(partner__memberships__user_id=user))
            .distinct()
            .order_by("partner__code")
            .values_list("partner__code", "is_active")
        )

    prepared = PreparedQuery(build, "user")
    for user in (first, second):
        assert prepared(user=user.pk) == list(build(user.pk))
    assert prepared(user=first.pk) == [
        ("P-A", True),
        ("P-M", True),
        ("P-OFF", False),
        ("P-Z", True),
    ]


def test_memberships_of_a_user_skip_closed_partners_and_sort_by_code(members):
    first, _ = members
    Partner.objects.filter(code="P-M").update(status=Partner.Status.TERMINATED)
    assert [m.partner.code for m in membership_list_for_user(user=first)] == ["P-A", "P-Z"]


def test_a_limit_and_an_offset_give_a_slice_of_the_rows(members):
    first, _ = members
    prepared = PreparedQuery(_memberships, "user")
    everything = list(_memberships(first.pk))
    assert prepared(limit=2, offset=1, user=first.pk) == everything[1:3]
    assert prepared(limit=5, offset=0, user=first.pk) == everything
    sliced = PreparedQuery(lambda user: _memberships(user)[:1], "user")
    with pytest.raises(TypeError, match="sliced"):
        sliced(limit=1, user=first.pk)


def test_prepared_pages_count_and_slice_for_a_paginator(members, django_assert_num_queries):
    first, _ = members
    completed = []
    pages = PreparedPages(
        PreparedQuery(_memberships, "user"),
        PreparedQuery(lambda user: counted(_memberships(user)), "user"),
        {"user": first.pk},
        completed.extend,
    )
    paginator = Paginator(pages, 2)
    with django_assert_num_queries(2):
        page = paginator.page(2)
    assert paginator.count == 3
    assert [m.partner.code for m in page] == ["P-Z"]
    assert completed == list(page)
    assert pages[1:1] == []


@pytest.mark.usefixtures("members")
def test_an_ids_query_reads_every_id_in_batches(django_assert_num_queries):
    ids = [m.pk for m in Membership.objects.order_by("pk")]
    prepared = PreparedIdsQuery(
        lambda ids: Membership.objects.filter(pk__in=ids).order_by("pk").values_list("pk"), 2
    )
    with django_assert_num_queries(3):
        rows = prepared(ids)
    assert rows == [(pk,) for pk in ids]
    assert prepared(ids[:1]) == [(ids[0],)]
    assert prepared([]) == []
