"""Querysets compiled to SQL once, then run with other ids.

Django compiles a queryset to SQL each time it is evaluated. For the queries that every request
makes (a partner user's memberships with their partners), that compilation costs more than
running the query. `prepared = PreparedQuery(build, "user")` compiles `build(user=<placeholder>)`
once per database, and `prepared(user=id)` returns what evaluating `build(user=id)` would: the
same SQL, the same model instances (with their `select_related` objects), the same conversions.

Placeholders are integer ids: an id reaches the SQL parameters as it is on every backend, so the
compiled parameters can take the real id in its place (everywhere it appears). A placeholder
missing from the compiled parameters fails loudly. A `values_list()` queryset gives its rows as
tuples. `prepared(limit=25, offset=50, user=id)` gives the rows `build(user=id)[50:75]` gives, the
limit and offset passed as parameters of the same compiled SQL (a list's pages share it).

`PreparedPages` gives a Paginator a list's pages and its count from two such queries (`counted()`
writes the count's queryset). `PreparedIdsQuery` reads what hangs off a list's rows (an `__in`
lookup of their ids) with one compiled query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Count, QuerySet, Value
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

# Ids no row has: negative, and far from any sequence.
_PLACEHOLDER_BASE = -7_309_915_301_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: dict[str, list[int]]
    compiler: SQLCompiler
    instances: bool  # model instances, else tuples (values_list)
    sliced: bool


class PreparedQuery:
    """A model queryset, built by `build(**ids)`, compiled once per database."""

    def __init__(self, build: Callable[..., QuerySet], *names: str) -> None:
        self.build = build
        self.names = names
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        placeholders = {name: _PLACEHOLDER_BASE - i for i, name in enumerate(self.names)}
        queryset = self.build(**placeholders)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise TypeError("a prepared query gives model instances or values_list() tuples")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = {}
        for name, placeholder in placeholders.items():
            found = [i for i, value in enumerate(params) if value == placeholder]
            if not found:
                raise ValueError(f"{name!r} does not appear in the compiled parameters")
            positions[name] = found
        instances = queryset._iterable_class is ModelIterable
        sliced = queryset.query.is_sliced
        return _Compiled(sql, tuple(params), positions, compiler, instances, sliced)

    def __call__(
        self, *, using: str = "default", limit: int | None = None, offset: int = 0, **ids: int
    ) -> list:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        sql, params = compiled.sql, list(compiled.params)
        if limit is not None:
            if compiled.sliced:
                raise TypeError("a sliced queryset takes no limit")
            sql = f"{sql} LIMIT %s OFFSET %s"
            params.extend((int(limit), int(offset)))
        for name, positions in compiled.positions.items():
            value = ids[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name!r} must be an integer id, not {type(value).__name__}")
            for position in positions:
                params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not compiled.instances:
            return list(compiled.compiler.results_iter(results=[rows], tuple_expected=True))
        return list(_instances(compiled.compiler, rows, using))


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
    `queryset.count()` counts them (for a PreparedQuery)."""
    return (
        queryset.order_by()
        .annotate(counted_group=Value(1))
        .values("counted_group")
        .annotate(counted_rows=Count("pk"))
        .values_list("counted_rows")
    )


class PreparedPages:
    """A list for a Paginator, from prepared queries run with `ids`: `count()` runs `count` (a
    `counted()` queryset) and each page, a slice, runs `rows` with its limit and offset, then
    `complete(rows)` when given (which may read more about the page's rows)."""

    def __init__(
        self,
        rows: PreparedQuery,
        count: PreparedQuery,
        ids: dict[str, int],
        complete: Callable[[list], None] | None = None,
    ) -> None:
        self._rows, self._count, self._ids, self._complete = rows, count, ids, complete

    def count(self) -> int:
        return self._count(**self._ids)[0][0]

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
