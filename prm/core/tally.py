"""Row tallies: the number of rows of a table that meet a condition, kept in RowTally under a
name by database triggers on every insert, update, delete and truncation of the table, whatever
makes the change: a service, a bulk update, an import, the admin or raw SQL (PostgreSQL
statement-level triggers with transition tables; SQLite row-level triggers, the embedded demo,
which empties a table by a DELETE). A page that would count thousands of rows reads the
tally's few slots instead (`tally_slots`, `tally_total`)."""

from __future__ import annotations

from django.db.models import QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import RowTally

TALLIES = "core_rowtally"


def _upsert_postgres(name: str, change: str) -> str:
    # A trigger's text, from a migration's constants (names checked by _prefix).
    return f"""
        INSERT INTO {TALLIES} (name, slot, total)
        SELECT '{name}', pg_backend_pid() % {RowTally.SLOTS}, n FROM ({change}) AS change
        WHERE n <> 0
        ON CONFLICT (name, slot) DO UPDATE SET total = {TALLIES}.total + EXCLUDED.total;
    """  # noqa: S608


def _postgres(name: str, table: str, condition: str, prefix: str) -> list[str]:
    def rows(alias: str) -> str:
        return f"SELECT COUNT(*) FROM {alias} WHERE {condition.format(row=alias)}"  # noqa: S608

    changes = {
        "insert": (f"SELECT ({rows('tally_new')}) AS n", "NEW TABLE AS tally_new"),
        "delete": (f"SELECT -({rows('tally_old')}) AS n", "OLD TABLE AS tally_old"),
        "update": (
            f"SELECT ({rows('tally_new')}) - ({rows('tally_old')}) AS n",
            "OLD TABLE AS tally_old NEW TABLE AS tally_new",
        ),
    }
    statements = []
    for event, (change, referencing) in changes.items():
        statements += [
            f"""
            CREATE FUNCTION {prefix}_{event}() RETURNS trigger AS $$
            BEGIN
                {_upsert_postgres(name, change)}
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """,
            f"""
            CREATE TRIGGER {prefix}_{event} AFTER {event.upper()} ON {table}
            REFERENCING {referencing}
            FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_{event}()
            """,
        ]
    statements += [
        f"""
        CREATE FUNCTION {prefix}_truncate() RETURNS trigger AS $$
        BEGIN
            DELETE FROM {TALLIES} WHERE name = '{name}';
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """,  # noqa: S608 - a trigger's text, from a migration's constants
        f"""
        CREATE TRIGGER {prefix}_truncate AFTER TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_truncate()
        """,
    ]
    return statements


def _sqlite(name: str, table: str, condition: str, prefix: str) -> list[str]:
    def met(row: str) -> str:
        return f"(CASE WHEN {condition.format(row=row)} THEN 1 ELSE 0 END)"

    changes = {
        "insert": met("NEW"),
        "delete": f"-{met('OLD')}",
        "update": f"{met('NEW')} - {met('OLD')}",
    }
    return [
        f"""
        CREATE TRIGGER {prefix}_{event} AFTER {event.upper()} ON {table}
        WHEN {change} <> 0
        BEGIN
            INSERT INTO {TALLIES} (name, slot, total) SELECT '{name}', 0, {change} WHERE true
            ON CONFLICT (name, slot) DO UPDATE SET total = total + excluded.total;
        END
        """
        for event, change in changes.items()
    ]


def _prefix(name: str) -> str:
    """The prefix of the triggers (and functions) of the tally `name`: lower-case letters,
    digits, dots and underscores only, since the name is written into their SQL."""
    if not name or any(
        not (c.isascii() and (c.islower() or c.isdigit() or c in "._")) for c in name
    ):
        raise ValueError(
            f"A tally's name is lower-case letters, digits, dots and underscores: {name!r}"
        )
    return "tally_" + name.replace(".", "_")


def tally_install(connection, *, name: str, table: str, condition: str) -> None:
    """Keep the tally `name` of the rows of `table` that meet `condition` (SQL on the row's
    columns, each written `{row}.column`), starting from the rows there are."""
    prefix = _prefix(name)
    install = _postgres if connection.vendor == "postgresql" else _sqlite
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TALLIES} WHERE name = %s", [name])  # noqa: S608
        for sql in install(name, table, condition, prefix):
            cursor.execute(sql)
        cursor.execute(
            f"INSERT INTO {TALLIES} (name, slot, total) "  # noqa: S608
            f"SELECT %s, 0, COUNT(*) FROM {table} WHERE {condition.format(row=table)}",
            [name],
        )


def tally_remove(connection, *, name: str, table: str) -> None:
    """Stop keeping the tally `name` of `table`, and forget it."""
    prefix = _prefix(name)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for event in ("insert", "delete", "update", "truncate"):
            if postgres:
                cursor.execute(f"DROP TRIGGER IF EXISTS {prefix}_{event} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {prefix}_{event}()")
            elif event != "truncate":
                cursor.execute(f"DROP TRIGGER IF EXISTS {prefix}_{event}")
        cursor.execute(f"DELETE FROM {TALLIES} WHERE name = %s", [name])  # noqa: S608


# The tallies apps keep, by name: (table, condition), as their migrations install them.
DECLARED: dict[str, tuple[str, str]] = {}


def tally_declare(name: str, *, table: str, condition: str) -> None:
    """Declare the tally `name` of the rows of `table` that meet `condition`, which a migration
    installs (`tally_install`), so that `tallies_recount` can count it afresh."""
    _prefix(name)
    DECLARED[name] = (table, condition)


def tallies_recount(using: str = "default", **kwargs) -> None:
    """Count afresh the declared tallies the database keeps (those with a slot), from their
    tables' rows: after `manage.py flush`, which on SQLite empties the tallies' table before
    the tables whose triggers then take their deleted rows off it (a post_migrate receiver,
    since flush sends post_migrate)."""
    from django.db import connections

    connection = connections[using]
    kept = set(
        RowTally.objects.using(using).filter(name__in=DECLARED).values_list("name", flat=True)
    )
    with connection.cursor() as cursor:
        for name in sorted(kept):
            table, condition = DECLARED[name]
            cursor.execute(f"DELETE FROM {TALLIES} WHERE name = %s", [name])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {TALLIES} (name, slot, total) "  # noqa: S608
                f"SELECT %s, 0, COUNT(*) FROM {table} WHERE {condition.format(row=table)}",
                [name],
            )


def tally_slots(name: str) -> QuerySet[RowTally]:
    """The slots of the tally `name`, whose totals sum to it (prm.core.prepared.Total)."""
    return RowTally.objects.filter(name=name)


def tally_total(name: str) -> int:
    """The number of rows the tally `name` counts."""
    return sum(tally_slots(name).values_list("total", flat=True))


def tally_counted(name: str) -> QuerySet:
    """A values_list() queryset whose one row holds the number of rows the tally `name` counts
    (0 without a slot): the shape of prm.core.prepared.counted(), for a list's count that is a
    tally's."""
    return (
        tally_slots(name)
        .order_by()
        .annotate(counted_group=Value(1))
        .values("counted_group")
        .annotate(counted_rows=Coalesce(Sum("total"), 0))
        .values_list("counted_rows")
    )
