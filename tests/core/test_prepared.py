"""prm.core.prepared: a queryset compiled once gives what the queryset gives, with each id."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q

from partners.models import Membership, Partner
from partners.selectors import membership_list_for_user
from prm.core.prepared import (
    PreparedCounts,
    PreparedIdsQuery,
    PreparedPages,
    PreparedQuery,
    Within,
    _ServerStatement,
    count_sql,
    counted,
    read_together,
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


def test_an_optional_placeholder_may_go_unused(members):
    first, second = members
    partner = Partner.objects.get(code="P-A").pk
    prepared = PreparedQuery(
        lambda user, partner: Membership.objects.filter(partner_id=partner).values_list("role"),
        "user",
        "partner",
        optional=("user",),
    )
    # The query does not depend on the user: each user gets the partner's members.
    assert prepared(user=first.pk, partner=partner) == [("admin",)]
    assert prepared(user=second.pk, partner=partner) == [("admin",)]
    with pytest.raises(TypeError, match="'user' must be an integer id"):
        prepared(user=None, partner=partner)


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


def test_pages_of_a_query_planned_once_give_a_slice_of_the_rows(members, django_assert_num_queries):
    first, _ = members
    prepared = PreparedQuery(_memberships, "user", plan_once=True)
    everything = list(_memberships(first.pk))
    with django_assert_num_queries(2) as captured:
        assert prepared(limit=2, offset=1, user=first.pk) == everything[1:3]
        assert prepared(limit=5, offset=0, user=first.pk) == everything
    if connection.vendor == "postgresql":
        assert all(query["sql"].startswith("EXECUTE ") for query in captured.captured_queries)


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


@pytest.mark.usefixtures("members")
def test_an_ids_query_planned_once_reads_every_id_in_batches(django_assert_num_queries):
    ids = [m.pk for m in Membership.objects.order_by("pk")]
    prepared = PreparedIdsQuery(
        lambda ids: Membership.objects.filter(pk__in=ids).order_by("pk").values_list("pk"),
        2,
        plan_once=True,
    )
    with django_assert_num_queries(3) as captured:
        rows = prepared(ids)
    assert rows == [(pk,) for pk in ids]
    if connection.vendor == "postgresql":
        assert all(query["sql"].startswith("EXECUTE ") for query in captured.captured_queries)


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


def test_counts_within_one_queryset_read_its_rows_once(joined, django_assert_num_queries):
    user, start = joined

    def build(user, since):
        mine = Membership.objects.filter(user_id=user, partner__code__startswith="P-")
        return {
            "all": Within(mine),
            "recent": Within(mine, Q(created_at__gte=since)),
            "active_recent": Within(mine, Q(is_active=True, created_at__gte=since)),
            "sales": Within(mine, Q(role="sales")),
            "plain": mine.filter(is_active=True),
            "nothing": Within(Membership.objects.none(), Q(is_active=True)),
        }

    prepared = PreparedCounts(build, "user", datetimes=("since",))
    active_days = (0, 1, 3)  # P-A, P-M, P-OFF (closed), P-Z
    for since in (start, start + dt.timedelta(days=1), start + dt.timedelta(days=30)):
        with django_assert_num_queries(1):
            counts = prepared(user=user.pk, since=since)
        assert counts == {
            "all": 4,
            "recent": len([d for d in range(4) if start + dt.timedelta(days=d) >= since]),
            "active_recent": len([d for d in active_days if start + dt.timedelta(days=d) >= since]),
            "sales": 0,
            "plain": 3,
            "nothing": 0,
        }
    assert prepared(user=user.pk, since=start + dt.timedelta(days=1)) == {
        "all": 4,
        "recent": 3,
        "active_recent": 2,
        "sales": 0,
        "plain": 3,
        "nothing": 0,
    }
    # The four Withins of one queryset read the memberships once, the plain queryset once
    # more; the Within of none() is left out.
    sql, _params, names = count_sql(build(user.pk, start), "default")
    assert sql.count('FROM "partners_membership"') == 2
    assert names == ["plain", "all", "recent", "active_recent", "sales"]


def test_a_server_statement_numbers_its_parameters_and_declares_their_types():
    statement = _ServerStatement.of(
        "SELECT %s, %s, %s, %s WHERE code LIKE '10%%' AND at < %s",
        [True, 7, "x", dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)],
    )
    assert statement.prepare(None) == (
        f"PREPARE {statement.name}(boolean, bigint, text, date, timestamptz) AS "
        "SELECT $1, $2, $3, $4 WHERE code LIKE '10%' AND at < $5"
    )
    assert _ServerStatement.of("SELECT %s", [None]) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on PostgreSQL")
def test_a_server_statement_writes_its_constants_as_literals():
    statement = _ServerStatement.of(
        "SELECT %s, %s WHERE status IN (%s, %s) AND code LIKE 'P%%' AND id = %s",
        [7, None, "open", "it's", 9],
        variable=[0, 4],
    )
    with connection.cursor() as cursor:
        prepare = statement.prepare(cursor.cursor)
    assert prepare == (
        f"PREPARE {statement.name}(bigint, bigint) AS "
        "SELECT $1, NULL WHERE status IN ('open', 'it''s') AND code LIKE 'P%' AND id = $2"
    )
    # A constant of no known type is written; a parameter of its own must have a type.
    assert _ServerStatement.of("SELECT %s, %s", [None, 1], variable=[0]) is None


def test_a_server_statement_is_named_by_its_text_constants_and_types():
    sql = "SELECT %s WHERE status = %s AND id = %s"
    first = _ServerStatement.of(sql, [1, "open", 9], variable=[0, 2])
    assert first.name == _ServerStatement.of(sql, [2, "open", 3], variable=[0, 2]).name
    others = [
        _ServerStatement.of(sql, [1, "closed", 9], variable=[0, 2]),
        _ServerStatement.of(sql, [1, "open", 9], variable=[0, 1, 2]),
        _ServerStatement.of(sql.replace("id", "pk"), [1, "open", 9], variable=[0, 2]),
    ]
    assert len({first.name, *(statement.name for statement in others)}) == 4
    assert len(first.name) <= 63


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on PostgreSQL")
def test_the_first_page_of_a_query_planned_once_is_a_statement_of_its_own(
    members, django_assert_num_queries
):
    first, second = members
    prepared = PreparedQuery(_memberships, "user", plan_once=True)
    everything = list(_memberships(first.pk))
    for user, expected in ((first, everything), (second, list(_memberships(second.pk)))):
        with django_assert_num_queries(1):
            assert prepared(limit=2, offset=0, user=user.pk) == expected[:2]
        assert prepared(limit=2, offset=1, user=user.pk) == expected[1:3]
        assert prepared(limit=5, user=user.pk) == expected[:5]
        assert prepared(user=user.pk) == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'prm_prepared_%'")
        names = {name for (name,) in cursor.fetchall()}
    statement = prepared._compiled["default"].server.name
    assert {statement, f"{statement}_first_2", f"{statement}_first_5"} <= names


def test_instances_are_those_from_db_makes(members):
    from django.db.models.signals import post_init

    first, _ = members
    Partner.objects.filter(code="P-M").update(tier=None)

    def build(user):
        return _memberships(user).only("role", "partner__code", "partner__tier__name")

    initialised = []

    def receiver(sender, instance, **kwargs):
        initialised.append((sender, instance.pk))

    post_init.connect(receiver, dispatch_uid="test_prepared_post_init")
    try:
        made = PreparedQuery(build, "user")(user=first.pk)
    finally:
        post_init.disconnect(dispatch_uid="test_prepared_post_init")
    expected = list(build(first.pk))
    assert [m.pk for m in made] == [m.pk for m in expected]
    for mine, theirs in zip(made, expected, strict=True):
        for obj, other in ((mine, theirs), (mine.partner, theirs.partner)):
            assert type(obj) is type(other)
            assert obj.__dict__.keys() - {"_state"} == other.__dict__.keys() - {"_state"}
            assert obj.get_deferred_fields() == other.get_deferred_fields()
            assert (obj._state.adding, obj._state.db) == (False, "default")
        assert mine.partner.tier == theirs.partner.tier
        assert (mine.role, mine.partner.code) == (theirs.role, theirs.partner.code)
    assert {(Membership, m.pk) for m in made} <= set(initialised)
    assert {(Partner, m.partner.pk) for m in made} <= set(initialised)
    assert next(m for m in made if m.partner.code == "P-M").partner.tier is None


def test_queries_read_together_give_what_each_gives_alone_in_its_order(django_assert_num_queries):
    for number, (credit, rating) in enumerate([(500, "low"), (100, "high"), (300, "medium")]):
        PartnerFactory(code=f"T-{number}", credit_limit=credit, risk_rating=rating)
    by_credit = PreparedQuery(
        lambda: Partner.objects.filter(code__startswith="T-").order_by("-credit_limit")[:2],
        plan_once=True,
    )
    by_code = PreparedQuery(
        lambda minimum: (
            Partner.objects.filter(code__startswith="T-", credit_limit__gte=minimum)
            .order_by("code")
            .values_list("code", "risk_rating")[:5]
        ),
        "minimum",
        plan_once=True,
    )
    nothing = PreparedQuery(lambda: Partner.objects.filter(code="none").order_by("pk")[:3])
    queries = [(by_credit, {}), (by_code, {"minimum": 100}), (nothing, {})]
    alone = [query(**values) for query, values in queries]

    with django_assert_num_queries(1):
        together = read_together(queries)

    assert [p.code for p in together[0]] == [p.code for p in alone[0]] == ["T-0", "T-2"]
    assert [p.credit_limit for p in together[0]] == [Decimal("500"), Decimal("300")]
    assert together[1] == alone[1] == [("T-0", "low"), ("T-1", "high"), ("T-2", "medium")]
    assert together[2] == alone[2] == []
    # Read again, as the same statement: the same rows.
    assert [p.code for p in read_together(queries)[0]] == ["T-0", "T-2"]


def test_one_query_read_together_is_read_alone(django_assert_num_queries):
    PartnerFactory(code="T-1")
    query = PreparedQuery(lambda: Partner.objects.filter(code="T-1").order_by("pk")[:1])
    with django_assert_num_queries(1):
        (rows,) = read_together([(query, {})])
    assert [p.code for p in rows] == ["T-1"]
