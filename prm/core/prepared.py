"""Querysets compiled to SQL once, then run with other ids, days and instants.

Django compiles a queryset to SQL each time it is evaluated. For the queries that every request
makes (a partner user's memberships with their partners), that compilation costs more than
running the query. `prepared = PreparedQuery(build, "user")` compiles `build(user=<placeholder>)`
once per database, and `prepared(user=id)` returns what evaluating `build(user=id)` would: the
same SQL, the same model instances (with their `select_related` objects), the same conversions.

Placeholders are integer ids by default: an id reaches the SQL parameters as it is on every
backend, so the compiled parameters can take the real id in its place (everywhere it appears).
Names given as `dates=` or `datetimes=` stand for a `datetime.date` or a `datetime.datetime`:
the placeholder is a day or an instant no row has, found in the parameters as the backend adapts
it (a string on SQLite), and replaced by the real value adapted the same way. Each one must reach
the query as it is: a value derived from another (a day before `now`) is a placeholder of its
own. A placeholder missing from the compiled parameters fails loudly, unless it is named in
`optional=` (a query that depends on the user for some users only). A `values_list()` queryset
gives its rows as tuples. `prepared(limit=25, offset=50, user=id)` gives the rows
`build(user=id)[50:75]` gives, the limit and offset passed as parameters of the same compiled SQL
(a list's pages share it).

`PreparedPages` gives a Paginator a list's pages and its count from two such queries (`counted()`
writes the count's queryset). `PreparedIdsQuery` reads what hangs off a list's rows (an `__in`
lookup of their ids) with one compiled query.

`read_together([(prepared, values), ...])` gives what each of several prepared queries gives,
read in one statement: a page's short lists in one round trip.

`PreparedCounts(build, ...)`, where `build` returns named querysets, counts the rows of each, all
in one query compiled once; several counts of the rows of one queryset that match different
conditions (`Within`) read those rows once.

On PostgreSQL a prepared count, and a prepared query made with `plan_once=True` (its pages too,
their limit and offset as parameters), is also prepared on the server (PREPARE) on each
connection that runs it, so that PostgreSQL may keep its plan: a query of many subqueries or
joins that reads a few rows takes longer to plan than to run.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.base import Model, ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (
    ModelIterable,
    RelatedPopulator,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.compiler import SQLCompiler

# Ids no row has: negative, and far from any sequence.
_PLACEHOLDER_BASE = -7_309_915_301_000
# Days and instants no row has: in the year 1234, a day or a microsecond apart.
_PLACEHOLDER_DAY = dt.date(1234, 5, 6)
_PLACEHOLDER_INSTANT = dt.datetime(1234, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def _placeholder(kind: str, index: int):
    if kind == "datetime":
        return _PLACEHOLDER_INSTANT + dt.timedelta(microseconds=index + 1)
    if kind == "date":
        return _PLACEHOLDER_DAY + dt.timedelta(days=index)
    return _PLACEHOLDER_BASE - index


def _adapt(kind: str, value, connection):
    """`value` as the backend puts it in a query's parameters."""
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value(value)
    if kind == "date":
        return connection.ops.adapt_datefield_value(value)
    return value


def _check(name: str, kind: str, value) -> None:
    if kind == "datetime":
        if not isinstance(value, dt.datetime):
            raise TypeError(f"{name!r} must be a datetime, not {type(value).__name__}")
    elif kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"{name!r} must be a date, not {type(value).__name__}")
    elif not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name!r} must be an integer id, not {type(value).__name__}")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: dict[str, list[int]]
    compiler: SQLCompiler | None = None
    instances: bool = False  # model instances, else tuples (values_list)
    sliced: bool = False  # the queryset was sliced (it takes no limit)
    names: tuple[str, ...] = ()  # the querysets the SQL counts (PreparedCounts)
    counted: tuple[str, ...] = ()  # every queryset, those that can have no row included
    server: _ServerStatement | None = None  # the statement prepared on PostgreSQL
    paged: _ServerStatement | None = None  # the same with a limit and an offset
    converters: dict | None = None  # what results_iter converts, by column (get_converters)
    composite: bool = False  # a column pairs several (results_iter makes it a tuple)
    # How _instances makes the rows' instances, by database: worked out on the first rows.
    makers: dict = field(default_factory=dict, compare=False)


class _Prepared(ABC):
    """SQL made once per database from placeholders, run with the real values in their place."""

    def __init__(
        self,
        build: Callable[..., Any],
        *names: str,
        dates: tuple[str, ...] = (),
        datetimes: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        plan_once: bool = False,
    ) -> None:
        self.build = build
        self.plan_once = plan_once
        self.optional = frozenset(optional)
        self.kinds = (
            dict.fromkeys(names, "id")
            | dict.fromkeys(dates, "date")
            | dict.fromkeys(datetimes, "datetime")
        )
        self._compiled: dict[str, _Compiled] = {}

    def _placeholders(self) -> dict[str, Any]:
        return {name: _placeholder(kind, i) for i, (name, kind) in enumerate(self.kinds.items())}

    def _positions(self, params, placeholders: dict[str, Any], using: str) -> dict[str, list]:
        """Where each placeholder stands in the compiled `params`."""
        connection = connections[using]
        positions = {}
        for name, placeholder in placeholders.items():
            adapted = _adapt(self.kinds[name], placeholder, connection)
            found = [i for i, value in enumerate(params) if value == adapted]
            if not found and name not in self.optional:
                raise ValueError(f"{name!r} does not appear in the compiled parameters")
            positions[name] = found
        return positions

    @abstractmethod
    def _compile(self, using: str) -> _Compiled:
        """The SQL of `build` for the database `using`, with where each placeholder stands."""

    def _server(self, sql: str, params, positions: dict, using: str) -> _ServerStatement | None:
        """The statement to prepare on the server for `sql`, if any: the parameters at the
        placeholders' `positions` are its own, the others constants written into it."""
        if self.plan_once and connections[using].vendor == "postgresql":
            variable = sorted(itertools.chain.from_iterable(positions.values()))
            return _ServerStatement.of(sql, params, variable)
        return None

    def _statement(self, using: str, values: dict[str, Any]) -> tuple[_Compiled, list]:
        """The compiled statement for `using` and its parameters with `values` in place."""
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        kinds = self.kinds
        for name, positions in compiled.positions.items():
            kind = kinds[name]
            value = values[name]
            if kind == "id" and type(value) is int:
                adapted = value  # an id reaches the parameters as it is
            else:
                _check(name, kind, value)
                adapted = _adapt(kind, value, connections[using])
            for position in positions:
                params[position] = adapted
        return compiled, params


_LIMIT = "LIMIT %s OFFSET %s"


class PreparedQuery(_Prepared):
    """A model queryset, built by `build(**placeholders)`, compiled once per database. With
    `plan_once`, its first `limit` rows (a list's first page, the one nearly every request
    reads) are a statement of their own on the server, the limit written into it: PostgreSQL
    plans a LIMIT given as a parameter for a tenth of the rows, and would plan the statement
    again on every run. Later pages run a statement of their own whose limit and offset are
    parameters."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._first_pages: dict[tuple[str, int], _ServerStatement] = {}

    def _first_page(self, compiled: _Compiled, limit: int) -> _ServerStatement:
        key = (compiled.server.name, limit)
        statement = self._first_pages.get(key)
        if statement is None:
            statement = self._first_pages[key] = replace(
                compiled.server,
                name=f"{compiled.server.name}_first_{limit}",
                sql=f"{compiled.sql} LIMIT {limit}",
            )
        return statement

    def _compile(self, using: str) -> _Compiled:
        placeholders = self._placeholders()
        queryset = self.build(**placeholders)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise TypeError("a prepared query gives model instances or values_list() tuples")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = self._positions(params, placeholders, using)
        instances = queryset._iterable_class is ModelIterable
        sliced = queryset.query.is_sliced
        server = self._server(sql, params, positions, using)
        # A page: the same statement with its limit and offset as parameters of its own.
        paged = (
            None
            if sliced
            else self._server(
                f"{sql} LIMIT %s OFFSET %s",
                [*params, 0, 0],
                {**positions, "limit": [len(params)], "offset": [len(params) + 1]},
                using,
            )
        )
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        return _Compiled(
            sql,
            tuple(params),
            positions,
            compiler,
            instances,
            sliced=sliced,
            server=server,
            paged=paged,
            converters=compiler.get_converters(fields),
            composite=compiler.has_composite_fields(fields),
        )

    def __call__(
        self, *, using: str = "default", limit: int | None = None, offset: int = 0, **values
    ) -> list:
        compiled, params = self._statement(using, values)
        if limit is not None and compiled.sliced:
            raise TypeError("a sliced queryset takes no limit")
        connection = connections[using]
        with connection.cursor() as cursor:
            if limit is None:
                _execute(connection, cursor, compiled, params)
            elif compiled.server is not None and not offset:
                self._first_page(compiled, int(limit)).execute(connection, cursor, params)
            elif compiled.paged is not None:
                compiled.paged.execute(connection, cursor, [*params, int(limit), int(offset)])
            else:
                cursor.execute(f"{compiled.sql} {_LIMIT}", [*params, int(limit), int(offset)])
            rows = cursor.fetchall()
        if not compiled.instances:
            return list(_results(compiled, rows, tuple_expected=True))
        return list(_instances(compiled, rows, using))


@dataclass(frozen=True)
class _Together:
    sql: str
    server: _ServerStatement | None
    starts: tuple[int, ...]  # the column of each query's row number (its columns follow)


# The statements that read several prepared queries together, by database and queries.
_TOGETHER: dict[tuple, _Together] = {}


def _together(using: str, statements: list[tuple[_Compiled, list]]) -> _Together:
    """The statement that reads the queries of `statements` (each compiled, with its
    parameters) side by side: row i holds the row number i and the i-th row of each query, a
    query with fewer rows leaving its columns null."""
    parts, starts, variable, params = [], [], [], []
    start = 0
    for number, (compiled, values) in enumerate(statements):
        parts.append(
            f"prm_part_{number} AS (SELECT ROW_NUMBER() OVER () AS prm_row, "  # noqa: S608 (ORM-compiled SQL)
            f"prm_rows.* FROM ({compiled.sql}) AS prm_rows)"
        )
        own = compiled.server.variable if compiled.server else range(len(values))
        variable.extend(len(params) + position for position in own)
        params.extend(values)
        starts.append(start)
        start += 1 + compiled.compiler.col_count
    names = [f"prm_part_{number}" for number in range(len(statements))]
    numbers = " UNION ".join(f"SELECT prm_row FROM {name}" for name in names)  # noqa: S608
    joins = " ".join(f"LEFT JOIN {name} ON {name}.prm_row = prm_rows.prm_row" for name in names)
    sql = (
        f"WITH {', '.join(parts)} SELECT {', '.join(f'{name}.*' for name in names)} "  # noqa: S608
        f"FROM ({numbers}) AS prm_rows {joins} ORDER BY prm_rows.prm_row"
    )
    server = None
    if connections[using].vendor == "postgresql" and all(c.server for c, _v in statements):
        server = _ServerStatement.of(sql, params, variable)
    return _Together(sql, server, tuple(starts))


def read_together(queries: list[tuple[PreparedQuery, dict[str, Any]]], *, using="default"):
    """What each of `queries` (a prepared query and the values to call it with) gives, read in
    one statement rather than one each: each query's rows numbered in its order, joined on that
    number. For the short lists of a page, whose round trips cost more than reading them. The
    queries take no limit (a sliced queryset bounds its rows)."""
    if len(queries) < 2:
        return [query(using=using, **values) for query, values in queries]
    statements = [query._statement(using, values) for query, values in queries]
    key = (using, *(query for query, _values in queries))
    together = _TOGETHER.get(key)
    if together is None:
        together = _TOGETHER[key] = _together(using, statements)
    params = list(itertools.chain.from_iterable(values for _c, values in statements))
    connection = connections[using]
    with connection.cursor() as cursor:
        if together.server is None:
            cursor.execute(together.sql, params)
        else:
            together.server.execute(connection, cursor, params)
        rows = cursor.fetchall()
    results = []
    for (compiled, _values), start in zip(statements, together.starts, strict=True):
        end = start + 1 + compiled.compiler.col_count
        own = [row[start + 1 : end] for row in rows if row[start] is not None]
        if compiled.instances:
            results.append(list(_instances(compiled, own, using)))
        else:
            results.append(list(_results(compiled, own, tuple_expected=True)))
    return results


@dataclass(frozen=True)
class Within:
    """The rows of `queryset` that match `condition` (every row without one), to count with
    PreparedCounts: the Withins of one queryset (the same object) are counted together in one
    pass over its rows. The condition reads the row's own columns and those of single-valued
    relations (a join to many rows would count a row more than once)."""

    queryset: QuerySet
    condition: Q | None = None


@dataclass(frozen=True)
class Total:
    """The sum of the integer column `column` over the rows of `queryset` (0 without a row),
    to read with PreparedCounts beside the counts: a number kept rather than counted, such as a
    tally's slots (prm.core.tally)."""

    queryset: QuerySet
    column: str


def count_sql(
    querysets: dict[str, QuerySet | Within | Total], using: str
) -> tuple[str, list, list[str]]:
    """One query counting the rows of each of `querysets` (one scalar subquery each, beside one
    another in a SELECT), its parameters, and the names of the querysets it counts: a queryset
    that can have no row (`none()`) is left out. The Withins of one queryset are counted in one
    derived table, a column each (COUNT of a CASE), so that its rows are read once; a Total is
    its column's sum."""
    columns, params, names = [], [], []
    groups: dict[int, list[tuple[str, Within]]] = {}
    quote = connections[using].ops.quote_name
    for name, qs in querysets.items():
        if isinstance(qs, Within):
            groups.setdefault(id(qs.queryset), []).append((name, qs))
            continue
        summed = qs.column if isinstance(qs, Total) else None
        rows = qs.queryset if summed else qs
        try:
            sql, values = (
                rows.order_by().values(summed or "pk").query.get_compiler(using=using).as_sql()
            )
        except EmptyResultSet:
            continue
        if summed:
            columns.append(
                f"(SELECT CAST(COALESCE(SUM({quote(summed)}), 0) AS BIGINT) "  # noqa: S608 (ORM-compiled SQL)
                f"FROM ({sql}) AS summed)"
            )
        else:
            columns.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (ORM-compiled SQL)
        params.extend(values)
        names.append(name)
    tables, table_params = [], []
    for number, members in enumerate(groups.values()):
        marks = {
            f"prm_counted_{i}": Case(
                When(within.condition, then=Value(1)), output_field=IntegerField()
            )
            for i, (_name, within) in enumerate(members)
            if within.condition is not None
        }
        queryset = members[0][1].queryset.order_by().annotate(**marks).values(*marks or ["pk"])
        try:
            sql, values = queryset.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            continue
        table = f"counted_group_{number}"
        counts = [
            f"COUNT({quote(f'prm_counted_{i}')})" if within.condition is not None else "COUNT(*)"
            for i, (_name, within) in enumerate(members)
        ]
        selected = ", ".join(f"{count} AS c{i}" for i, count in enumerate(counts))
        tables.append(f"(SELECT {selected} FROM ({sql}) AS counted) AS {table}")  # noqa: S608 (ORM-compiled SQL)
        table_params.extend(values)
        columns.extend(f"{table}.c{i}" for i in range(len(counts)))
        names.extend(name for name, _within in members)
    sql = "SELECT " + ", ".join(columns)
    if tables:
        sql += " FROM " + " CROSS JOIN ".join(tables)
    return sql, params + table_params, names


class PreparedCounts(_Prepared):
    """The number of rows of each queryset `build(**placeholders)` returns by name, all read in
    one query compiled once per database (and prepared on the server on PostgreSQL)."""

    def __init__(self, build: Callable[..., dict[str, QuerySet]], *names: str, **kinds) -> None:
        super().__init__(build, *names, plan_once=True, **kinds)

    def _compile(self, using: str) -> _Compiled:
        placeholders = self._placeholders()
        querysets = self.build(**placeholders)
        sql, params, names = count_sql(querysets, using)
        if not names:
            return _Compiled("", (), {}, counted=tuple(querysets))
        positions = self._positions(params, placeholders, using)
        server = self._server(sql, params, positions, using)
        return _Compiled(
            sql,
            tuple(params),
            positions,
            names=tuple(names),
            counted=tuple(querysets),
            server=server,
        )

    def __call__(self, *, using: str = "default", **values) -> dict[str, int]:
        compiled, params = self._statement(using, values)
        counts = dict.fromkeys(compiled.counted, 0)
        if compiled.names:
            connection = connections[using]
            with connection.cursor() as cursor:
                _execute(connection, cursor, compiled, params)
                counts.update(zip(compiled.names, cursor.fetchone(), strict=True))
        return counts


def _execute(connection, cursor, compiled: _Compiled, params: list) -> None:
    if compiled.server is None:
        cursor.execute(compiled.sql, params)
    else:
        compiled.server.execute(connection, cursor, params)


# The PostgreSQL type of a parameter, by its Python type (the first that matches).
_PG_TYPES = (
    (bool, "boolean"),
    (int, "bigint"),
    (str, "text"),
    (dt.datetime, "timestamptz"),
    (dt.date, "date"),
    (Decimal, "numeric"),
)


def _pg_type(value) -> str | None:
    return next((name for kind, name in _PG_TYPES if isinstance(value, kind)), None)


def _statement_name(sql: str, params, variable: tuple[int, ...], types: tuple[str, ...]) -> str:
    """The name of the statement `_ServerStatement.of` makes: the same for the same text,
    constants and parameter types, so that a query compiled again (a list's filters forgotten,
    then chosen again) runs the statement a connection has already prepared rather than
    preparing one more for as long as it lives."""
    own = set(variable)
    constants = [value for i, value in enumerate(params) if i not in own]
    key = repr((sql, constants, variable, types)).encode()
    return f"prm_prepared_{hashlib.blake2b(key, digest_size=10).hexdigest()}"


@dataclass(frozen=True)
class _ServerStatement:
    """A query prepared on the PostgreSQL server under `name` (PREPARE), once per connection,
    then run by EXECUTE with its parameters. The parameters at the positions `variable` are the
    statement's own ($1, $2, ...); the others are constants of the compiled queryset (a status,
    a flag), written into the statement as literals, so that PostgreSQL plans it knowing them:
    a partial index whose condition names a status serves it."""

    name: str
    sql: str
    params: tuple
    variable: tuple[int, ...]
    types: tuple[str, ...]

    @classmethod
    def of(cls, sql: str, params, variable=None) -> _ServerStatement | None:
        """The statement of `sql` (with %s placeholders) for parameters like `params`, those at
        `variable` (every one by default) its own; None when one of those has no known type."""
        variable = tuple(range(len(params))) if variable is None else tuple(variable)
        types = tuple(_pg_type(params[i]) for i in variable)
        if None in types:
            return None
        return cls(
            _statement_name(sql, params, variable, types), sql, tuple(params), variable, types
        )

    def prepare(self, cursor) -> str:
        """The PREPARE statement, its constants quoted by `cursor` (a psycopg2 cursor; unused
        when every parameter is the statement's own)."""
        numbers, positions, variable = itertools.count(1), itertools.count(), set(self.variable)

        def parameter(match: re.Match) -> str:
            if match[0] == "%%":
                return "%"
            position = next(positions)
            if position in variable:
                return f"${next(numbers)}"
            return cursor.mogrify("%s", [self.params[position]]).decode()

        numbered = re.sub(r"%[s%]", parameter, self.sql)
        declared = f"({', '.join(self.types)})" if self.types else ""
        return f"PREPARE {self.name}{declared} AS {numbered}"

    def execute(self, connection, cursor, params: list) -> None:
        """Run the statement on `cursor` of `connection` with `params` (every parameter of the
        compiled SQL), preparing it first when this database connection has not (on the
        driver's cursor: no query in Django's log)."""
        prepared = connection.__dict__.get("_prm_server_statements")
        if prepared is None or prepared[0] is not connection.connection:
            prepared = connection.__dict__["_prm_server_statements"] = (
                connection.connection,
                set(),
            )
        if self.name not in prepared[1]:
            cursor.cursor.execute(self.prepare(cursor.cursor))
            prepared[1].add(self.name)
        values = [params[position] for position in self.variable]
        arguments = f"({', '.join(['%s'] * len(values))})" if values else ""
        cursor.execute(f"EXECUTE {self.name}{arguments}", values)


def _results(compiled: _Compiled, rows: list[tuple], tuple_expected: bool = False):
    """`compiled.compiler.results_iter(results=[rows], tuple_expected=...)`, with the
    converters looked up when the query was compiled."""
    compiler = compiled.compiler
    if compiled.converters is None or compiled.composite:
        return compiler.results_iter(results=[rows], tuple_expected=tuple_expected)
    if not compiled.converters:
        return rows
    converted = compiler.apply_converters(rows, compiled.converters)
    return map(tuple, converted) if tuple_expected else converted


def _instances(compiled: _Compiled, rows: list[tuple], using: str):
    """Model instances from `rows` of `compiled`'s SQL, as Django's ModelIterable makes them."""
    makers = compiled.makers.get(using)
    if makers is None:
        compiler = compiled.compiler
        select, klass_info = compiler.select, compiler.klass_info
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        makers = compiled.makers[using] = (
            start,
            end,
            _maker(klass_info["model"], tuple(init_list)),
            get_related_populators(klass_info, select, using),
            compiler.annotation_col_map or {},
        )
    start, end, make, populators, annotations = makers
    for row in _results(compiled, rows):
        obj = make(using, row[start:end])
        for populator in populators:
            _populate(populator, row, obj)
        for name, position in annotations.items():
            setattr(obj, name, row[position])
        yield obj


def _populate(populator: RelatedPopulator, row, from_obj) -> None:
    """RelatedPopulator.populate, its instance made by `_maker`."""
    if populator.reorder_for_init:
        obj_data = populator.reorder_for_init(row)
    else:
        obj_data = row[populator.cols_start : populator.cols_end]
    if obj_data[populator.pk_idx] is None:
        obj = None
    else:
        obj = _maker(populator.model_cls, tuple(populator.init_list))(populator.db, obj_data)
        for related in populator.related_populators:
            _populate(related, row, obj)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


@functools.cache
def _maker(model_cls: type[Model], attnames: tuple[str, ...]) -> Callable[[str, Any], Model]:
    """What makes an instance of `model_cls` from the values of its fields `attnames` read
    from database `using`: `model_cls.from_db(using, attnames, values)`. For a model that
    keeps Django's constructor, whose fields are set as they are, and that no pre_init
    receiver watches, the instance is made without the constructor's pass over every field
    (a deferred field is one left unset): the same attributes, state and post_init signal, in
    a tenth of the time."""
    if not _plain(model_cls, attnames):
        return lambda using, values: model_cls.from_db(using, list(attnames), values)

    def make(using: str, values) -> Model:
        obj = model_cls.__new__(model_cls)
        obj.__dict__.update(zip(attnames, values, strict=True))
        state = obj._state = ModelState()
        state.adding, state.db = False, using
        post_init.send(sender=model_cls, instance=obj)
        return obj

    return make


def _plain(model_cls: type[Model], attnames: tuple[str, ...]) -> bool:
    """Whether Model.from_db would do no more than set `attnames` on a new `model_cls`."""
    own = [klass for klass in model_cls.__mro__ if klass not in (Model, object)]
    if any("__init__" in vars(klass) or "from_db" in vars(klass) for klass in own):
        return False
    if model_cls._meta.abstract or pre_init.has_listeners(model_cls):
        return False
    names = {field.attname for field in model_cls._meta.concrete_fields}
    return set(attnames) <= names and all(
        type(inspect.getattr_static(model_cls, name, None))
        in (DeferredAttribute, ForeignKeyDeferredAttribute)
        for name in attnames
    )


def counted(queryset: QuerySet) -> QuerySet:
    """A values_list() queryset whose one row holds the number of rows of `queryset`, as
    `queryset.count()` counts them (for a PreparedQuery). `COUNT(*)` rather than a count of the
    primary key, which is never null: the database may then count the entries of any index that
    serves the conditions, without reading the table."""
    return (
        queryset.order_by()
        .annotate(counted_group=Value(1))
        .values("counted_group")
        .annotate(counted_rows=Count("*"))
        .values_list("counted_rows")
    )


class PreparedPages:
    """A list for a Paginator, from prepared queries run with `ids`: `count()` runs `count` (a
    `counted()` queryset; with `count_ids` when given, for a count that takes fewer values), or
    gives it when it is the number already read, and each page, a slice, runs `rows` with its
    limit and offset, then `complete(rows)` when given (which may read more about the page's
    rows, and gives the page's rows in their place when it returns a list)."""

    def __init__(
        self,
        rows: PreparedQuery,
        count: PreparedQuery | int,
        ids: dict[str, Any],
        complete: Callable[[list], list | None] | None = None,
        count_ids: dict[str, Any] | None = None,
    ) -> None:
        self._rows, self._count, self._ids, self._complete = rows, count, ids, complete
        self._count_ids = ids if count_ids is None else count_ids

    def count(self) -> int:
        if isinstance(self._count, int):
            return self._count
        return self._count(**self._count_ids)[0][0]

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        if stop <= start:
            return []
        rows = self._rows(limit=stop - start, offset=start, **self._ids)
        if self._complete is not None:
            completed = self._complete(rows)
            if completed is not None:
                return completed
        return rows


class PreparedIdsQuery:
    """A queryset of what hangs off some ids, `build(ids)` with `ids` for an `__in` lookup,
    compiled once for `size` ids: `prepared(ids)` fills the slots with `ids`, `size` at a time
    (one query per batch, the batch's rows in the queryset's order), and the slots a batch
    leaves over with its first id again; with `plan_once`, planned once per database
    connection."""

    def __init__(
        self, build: Callable[[list[int]], QuerySet], size: int, *, plan_once: bool = False
    ) -> None:
        self.slots = tuple(f"id{i}" for i in range(size))
        self._query = PreparedQuery(
            lambda **ids: build([ids[slot] for slot in self.slots]),
            *self.slots,
            plan_once=plan_once,
        )

    def __call__(self, ids: list[int], *, using: str = "default") -> list:
        size, rows = len(self.slots), []
        for start in range(0, len(ids), size):
            batch = list(ids[start : start + size])
            batch += [batch[0]] * (size - len(batch))
            rows.extend(self._query(using=using, **dict(zip(self.slots, batch, strict=True))))
        return rows
