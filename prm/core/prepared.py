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
own. A placeholder missing from the compiled parameters fails loudly. A `values_list()` queryset
gives its rows as tuples. `prepared(limit=25, offset=50, user=id)` gives the rows
`build(user=id)[50:75]` gives, the limit and offset passed as parameters of the same compiled SQL
(a list's pages share it).

`PreparedPages` gives a Paginator a list's pages and its count from two such queries (`counted()`
writes the count's queryset). `PreparedIdsQuery` reads what hangs off a list's rows (an `__in`
lookup of their ids) with one compiled query.

`PreparedCounts(build, ...)`, where `build` returns named querysets, counts the rows of each, all
in one query compiled once.

On PostgreSQL a prepared count, and a prepared query made with `plan_once=True` (with a limit and
offset too), is also prepared on the server (PREPARE) on each connection that runs it, so that
PostgreSQL may keep its plan: a query of many subqueries or joins that reads a few rows takes
longer to plan than to run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, QuerySet, Value
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
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
    limited: _ServerStatement | None = None  # the same with a limit and offset


class _Prepared(ABC):
    """SQL made once per database from placeholders, run with the real values in their place."""

    def __init__(
        self,
        build: Callable[..., Any],
        *names: str,
        dates: tuple[str, ...] = (),
        datetimes: tuple[str, ...] = (),
        plan_once: bool = False,
    ) -> None:
        self.build = build
        self.plan_once = plan_once
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
            if not found:
                raise ValueError(f"{name!r} does not appear in the compiled parameters")
            positions[name] = found
        return positions

    @abstractmethod
    def _compile(self, using: str) -> _Compiled:
        """The SQL of `build` for the database `using`, with where each placeholder stands."""

    def _server(self, sql: str, params, using: str) -> _ServerStatement | None:
        """The statement to prepare on the server for `sql`, if any."""
        if self.plan_once and connections[using].vendor == "postgresql":
            return _ServerStatement.of(sql, params)
        return None

    def _statement(self, using: str, values: dict[str, Any]) -> tuple[_Compiled, list]:
        """The compiled statement for `using` and its parameters with `values` in place."""
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        connection = connections[using]
        params = list(compiled.params)
        for name, positions in compiled.positions.items():
            kind = self.kinds[name]
            value = values[name]
            _check(name, kind, value)
            adapted = _adapt(kind, value, connection)
            for position in positions:
                params[position] = adapted
        return compiled, params


_LIMIT = "LIMIT %s OFFSET %s"


class PreparedQuery(_Prepared):
    """A model queryset, built by `build(**placeholders)`, compiled once per database."""

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
        server = self._server(sql, params, using)
        limited = None if sliced else self._server(f"{sql} {_LIMIT}", [*params, 0, 0], using)
        return _Compiled(
            sql,
            tuple(params),
            positions,
            compiler,
            instances,
            sliced=sliced,
            server=server,
            limited=limited,
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
            elif compiled.limited is not None:
                compiled.limited.execute(connection, cursor, [*params, int(limit), int(offset)])
            else:
                cursor.execute(f"{compiled.sql} {_LIMIT}", [*params, int(limit), int(offset)])
            rows = cursor.fetchall()
        if not compiled.instances:
            return list(compiled.compiler.results_iter(results=[rows], tuple_expected=True))
        return list(_instances(compiled.compiler, rows, using))


def count_sql(querysets: dict[str, QuerySet], using: str) -> tuple[str, list, list[str]]:
    """One query counting the rows of each of `querysets` (one scalar subquery each, beside one
    another in a SELECT without FROM), its parameters, and the names of the querysets it counts:
    a queryset that can have no row (`none()`) is left out."""
    columns, params, names = [], [], []
    for name, qs in querysets.items():
        try:
            sql, values = qs.order_by().values("pk").query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            continue
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (ORM-compiled SQL)
        params.extend(values)
        names.append(name)
    return "SELECT " + ", ".join(columns), params, names


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
        server = self._server(sql, params, using)
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
_SERVER_NAMES = itertools.count(1)


def _pg_type(value) -> str | None:
    return next((name for kind, name in _PG_TYPES if isinstance(value, kind)), None)


@dataclass(frozen=True)
class _ServerStatement:
    """A query prepared on the PostgreSQL server under `name` (PREPARE), once per connection,
    then run by EXECUTE with its parameters."""

    name: str
    prepare: str

    @classmethod
    def of(cls, sql: str, params) -> _ServerStatement | None:
        """The statement of `sql` (with %s placeholders) for parameters like `params`; None
        when a parameter has no known type."""
        types = [_pg_type(value) for value in params]
        if None in types:
            return None
        numbers = itertools.count(1)
        numbered = re.sub(r"%[s%]", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)
        name = f"prm_prepared_{next(_SERVER_NAMES)}"
        declared = f"({', '.join(types)})" if types else ""
        return cls(name, f"PREPARE {name}{declared} AS {numbered}")

    def execute(self, connection, cursor, params: list) -> None:
        """Run the statement on `cursor` of `connection`, preparing it first when this database
        connection has not (on the driver's cursor: no query in Django's log)."""
        prepared = connection.__dict__.get("_prm_server_statements")
        if prepared is None or prepared[0] is not connection.connection:
            prepared = connection.__dict__["_prm_server_statements"] = (
                connection.connection,
                set(),
            )
        if self.name not in prepared[1]:
            cursor.cursor.execute(self.prepare)
            prepared[1].add(self.name)
        arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
        cursor.execute(f"EXECUTE {self.name}{arguments}", params)


def _instances(compiler: SQLCompiler, rows: list[tuple], using: str):
    """Model instances from `rows` of `compiler`'s SQL, as Django's ModelIterable makes them."""
    select, klass_info = compiler.select, compiler.klass_info
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    annotations: dict[str, Any] = compiler.annotation_col_map or {}
    for row in compiler.results_iter(results=[rows]):
        obj = model_cls.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations.items():
            setattr(obj, name, row[position])
        yield obj


def counted(queryset: QuerySet) -> QuerySet:
    """A values_list() queryset whose one row holds the number of rows of `queryset`, as
    `queryset.count()` counts them (for a PreparedQuery): COUNT(*), which an index may answer
    alone."""
    return (
        queryset.order_by()
        .annotate(counted_group=Value(1))
        .values("counted_group")
        .annotate(counted_rows=Count("*"))
        .values_list("counted_rows")
    )


class PreparedPages:
    """A list for a Paginator, from prepared queries run with `ids`: `count()` runs `count` (a
    `counted()` queryset; with `count_ids` when given, for a count that takes fewer values)
    and each page, a slice, runs `rows` with its limit and offset, then `complete(rows)` when
    given (which may read more about the page's rows)."""

    def __init__(
        self,
        rows: PreparedQuery,
        count: PreparedQuery,
        ids: dict[str, Any],
        complete: Callable[[list], None] | None = None,
        count_ids: dict[str, Any] | None = None,
    ) -> None:
        self._rows, self._count, self._ids, self._complete = rows, count, ids, complete
        self._count_ids = ids if count_ids is None else count_ids

    def count(self) -> int:
        return self._count(**self._count_ids)[0][0]

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        if stop <= start:
            return []
        rows = self._rows(limit=stop - start, offset=start, **self._ids)
        if self._complete is not None:
            self._complete(rows)
        return rows


class PreparedIdsQuery:
    """A queryset of what hangs off some ids, `build(ids)` with `ids` for an `__in` lookup,
    compiled once for `size` ids: `prepared(ids)` fills the slots with `ids`, `size` at a time
    (one query per batch, the batch's rows in the queryset's order), and the slots a batch
    leaves over with its first id again."""

    def __init__(self, build: Callable[[list[int]], QuerySet], size: int) -> None:
        self.slots = tuple(f"id{i}" for i in range(size))
        self._query = PreparedQuery(
            lambda **ids: build([ids[slot] for slot in self.slots]), *self.slots
        )

    def __call__(self, ids: list[int], *, using: str = "default") -> list:
        size, rows = len(self.slots), []
        for start in range(0, len(ids), size):
            batch = list(ids[start : start + size])
            batch += [batch[0]] * (size - len(batch))
            rows.extend(self._query(using=using, **dict(zip(self.slots, batch, strict=True))))
        return rows
