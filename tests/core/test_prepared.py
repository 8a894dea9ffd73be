"""prm.core.prepared: a queryset compiled once gives what the queryset gives, with each id."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db.models import Q

from partners.models import Membership, Partner
from partners.selectors import membership_list_for_user
from prm.core.prepared import (
    PreparedCounts,
    PreparedIdsQuery,
    PreparedPages,
    PreparedQuery,
    _ServerStatement,
    counted,
)

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


def test_a_query_planned_once_takes_its_limit_and_offset_on_the_server(
    members, django_assert_num_queries
):
    first, _ = members
    prepared = PreparedQuery(_memberships, "user", plan_once=True)
    everything = list(_memberships(first.pk))
    for limit, offset in ((2, 1), (5, 0), (1, 2)):
        with django_assert_num_queries(1) as context:
            assert (
                prepared(limit=limit, offset=offset, user=first.pk)
                == everything[offset : offset + limit]
            )
        assert context.captured_queries[0]["sql"].startswith("EXECUTE prm_prepared_")
    assert prepared(user=first.pk) == everything


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


def _joined(user: int, since, day):
    return (
        Membership.objects.filter(user_id=user, created_at__gte=since, created_at__date__lte=day)
        .order_by("partner__code")
        .values_list("partner__code", flat=False)
    )


@pytest.fixture
def joined(members):
    """The first member's memberships, joined a day apart from 2026-03-01 10:00 UTC by code."""
    first, _ = members
    start = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    for days, membership in enumerate(
        Membership.objects.filter(user=first).order_by("partner__code")
    ):
        Membership.objects.filter(pk=membership.pk).update(
            created_at=start + dt.timedelta(days=days)
        )
    return first, start


def test_days_and_instants_take_their_place_in_the_parameters(joined, django_assert_num_queries):
    user, start = joined
    prepared = PreparedQuery(_joined, "user", dates=("day",), datetimes=("since",))
    cases = [
        (start, start.date() + dt.timedelta(days=10)),
        (start + dt.timedelta(hours=1), start.date() + dt.timedelta(days=2)),
        (start + dt.timedelta(days=2), start.date() + dt.timedelta(days=2)),
        (start - dt.timedelta(days=1), start.date()),
        (start + dt.timedelta(days=9), start.date() + dt.timedelta(days=10)),
    ]
    for since, day in cases:
        with django_assert_num_queries(1):
            rows = prepared(user=user.pk, since=since, day=day)
        assert rows == list(_joined(user.pk, since, day))
    assert prepared(user=user.pk, since=start, day=start.date() + dt.timedelta(days=1)) == [
        ("P-A",),
        ("P-M",),
    ]


def test_days_and_instants_are_checked():
    prepared = PreparedQuery(_joined, "user", dates=("day",), datetimes=("since",))
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with pytest.raises(TypeError, match="'day' must be a date"):
        prepared(user=1, since=now, day=now)
    with pytest.raises(TypeError, match="'since' must be a datetime"):
        prepared(user=1, since=now.date(), day=now.date())


def test_counts_are_read_in_one_query_compiled_once(joined, django_assert_num_queries):
    user, start = joined
    built = []

    def build(user, since):
        built.append(user)
        mine = Membership.objects.filter(user_id=user)
        return {
            "all": mine,
            "recent": mine.filter(created_at__gte=since),
            "active": mine.filter(is_active=True, created_at__gte=since),
            "nothing": Membership.objects.none(),
        }

    prepared = PreparedCounts(build, "user", datetimes=("since",))
    for since in (start, start + dt.timedelta(days=1), start + dt.timedelta(days=30)):
        with django_assert_num_queries(1):
            counts = prepared(user=user.pk, since=since)
        expected = {name: qs.count() for name, qs in build(user.pk, since).items()}
        assert counts == expected
    assert prepared(user=user.pk, since=start + dt.timedelta(days=1)) == {
        "all": 4,
        "recent": 3,
        "active": 2,
        "nothing": 0,
    }
    assert prepared(user=UserFactory().pk, since=start)["all"] == 0
    assert len(built) == 1 + 3


def test_a_server_statement_numbers_its_parameters_and_declares_their_types():
    statement = _ServerStatement.of(
        "SELECT %s, %s, %s, %s WHERE code LIKE '10%%' AND at < %s",
        [True, 7, "x", dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)],
    )
    assert statement.prepare == (
        f"PREPARE {statement.name}(boolean, bigint, text, date, timestamptz) AS "
        "SELECT $1, $2, $3, $4 WHERE code LIKE '10%' AND at < $5"
    )
    assert _ServerStatement.of("SELECT %s", [None]) is None
