"""Row history that no write path can skip, and statements that cannot change once approved.

Database triggers record every insert, update and delete of terms, prices, plans, statements and
cases in `core_rowchange`, whether the write came from a service, Django admin, a bulk
`QuerySet.update()` or raw SQL. Statement lines are rewritten in bulk by every recompute of a
draft; the statement's own row records what changed (total, fingerprint), so for lines only
updates are recorded, and the lines of an approved or paid statement cannot change at all.

The actor is whoever the request (or `history_actor`) says is acting: on PostgreSQL a
transaction-local setting `prm.actor_id` set just before each write, on SQLite a function the
connection provides. Both are empty outside a request: the row is then recorded with no actor.

PostgreSQL: statement-level triggers with transition tables (one set-based insert per
statement). SQLite (the embedded demo): row-level triggers built from the table's columns;
Django rebuilds SQLite tables on many schema changes, which drops their triggers, so they are
checked and restored after every migration (`history_triggers_ensure`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.db import connections

HISTORY_TABLES: dict[str, tuple[str, ...]] = {
    "terms": (
        "agreements_agreement",
        "agreements_agreementversion",
        "agreements_agreementversion_territories",
        "agreements_agreementversion_product_lines",
        "agreements_agreementversion_segments",
    ),
    "prices": (
        "agreements_product",
        "agreements_pricelist",
        "agreements_pricelistitem",
        "agreements_tierlinediscount",
        "agreements_priceoverride",
        "agreements_promotion",
        "agreements_promotion_tiers",
        "agreements_promotion_territories",
        "agreements_promotion_partners",
    ),
    "plans": ("commissions_commissionplan", "commissions_planversion", "commissions_rule"),
    "statements": ("commissions_statement", "commissions_statementline", "commissions_adjustment"),
    "cases": ("disputes_case",),
}
# Recompute deletes and re-inserts a draft's lines; the statement row records that change.
UPDATES_ONLY = frozenset({"commissions_statementline"})
OPERATIONS = ("insert", "update", "delete")

STATEMENT_TABLE = "commissions_statement"
LINE_TABLE = "commissions_statementline"
FROZEN_STATUSES = ("approved", "paid")
# What may still change on an approved statement: its move to paid. Nothing on a paid one.
PAYMENT_COLUMNS = ("status", "updated_at", "paid_at", "paid_by_id", "payment_reference")
# The partner's acknowledgement: set once on an approved or paid statement, never changed after.
ACKNOWLEDGEMENT_COLUMNS = ("acknowledged_at", "acknowledged_by_id")
FROZEN_MESSAGE = "an approved or paid statement and its lines never change"


def tables() -> list[str]:
    return [table for group in HISTORY_TABLES.values() for table in group]


def table_group(table: str) -> str | None:
    for group, names in HISTORY_TABLES.items():
        if table in names:
            return group
    return None


# The acting user ------------------------------------------------------------------------------

_actor: ContextVar[Callable[[], int | None] | None] = ContextVar("prm_history_actor", default=None)
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def current_actor_id() -> int | None:
    resolve = _actor.get()
    return resolve() if resolve is not None else None


def _set_actor(cursor, value: str, *, local: bool) -> None:
    cursor.execute("SELECT set_config('prm.actor_id', %s, %s)", [value, local])


def _actor_wrapper(execute, sql, params, many, context):
    """Before each write, tell PostgreSQL who is acting (the triggers read `prm.actor_id`).

    Inside a transaction the setting is transaction-local; a write in autocommit mode gets a
    session setting that `history_actor` clears when it ends. Run on the driver's cursor, so
    it adds no query to Django's query log."""
    if _WRITE.match(sql):
        conn = context["connection"]
        actor_id = current_actor_id()
        value = "" if actor_id is None else str(actor_id)
        raw = context["cursor"].cursor
        if conn.in_atomic_block:
            if actor_id is not None or getattr(conn, "_prm_session_actor", ""):
                _set_actor(raw, value, local=True)
        elif getattr(conn, "_prm_session_actor", "") != value:
            _set_actor(raw, value, local=False)
            conn._prm_session_actor = value
    return execute(sql, params, many, context)


@contextlib.contextmanager
def history_actor(resolve: Callable[[], int | None] | int | None) -> Iterator[None]:
    """Record `resolve` (a user id, or a function giving one when a write happens) as the
    actor of every change made inside the block."""
    if resolve is None or isinstance(resolve, int):
        value = resolve

        def resolve() -> int | None:
            return value

    token = _actor.set(resolve)
    conn = connections["default"]
    try:
        if conn.vendor == "postgresql":
            with conn.execute_wrapper(_actor_wrapper):
                yield
        else:
            yield
    finally:
        _actor.reset(token)
        if conn.vendor == "postgresql" and getattr(conn, "_prm_session_actor", ""):
            if conn.connection is not None and not conn.in_atomic_block:
                with conn.cursor() as cursor:
                    _set_actor(cursor.cursor, "", local=False)
            conn._prm_session_actor = ""


class HistoryActorMiddleware:
    """The signed-in user is the actor of the changes a request makes. The user is read only if
    the request has already loaded it (every page that writes has), so this adds no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def resolve() -> int | None:
            user = getattr(request, "_cached_user", None)
            return user.pk if user is not None and user.is_authenticated else None

        with history_actor(resolve):
            return self.get_response(request)


def sqlite_functions(sender, connection, **kwargs) -> None:
    """`prm_history_actor()` for the SQLite triggers (connection_created)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("prm_history_actor", 0, current_actor_id)


# PostgreSQL -----------------------------------------------------------------------------------

_PG_RECORD = """
    CREATE OR REPLACE FUNCTION prm_history_{op}() RETURNS trigger AS $$
    BEGIN
        INSERT INTO core_rowchange ("table", row_id, op, before, after, changed_at, actor_id, txid)
        SELECT TG_TABLE_NAME, {row_id}, '{op}', {before}, {after}, now(),
               NULLIF(current_setting('prm.actor_id', true), '')::bigint, txid_current()
        FROM {source};
        RETURN NULL;
    END $$ LANGUAGE plpgsql
"""
PG_FUNCTIONS = [
    _PG_RECORD.format(
        op="insert", row_id="n.id", before="NULL", after="to_jsonb(n)", source="history_new n"
    ),
    _PG_RECORD.format(
        op="delete", row_id="o.id", before="to_jsonb(o)", after="NULL", source="history_old o"
    ),
    _PG_RECORD.format(
        op="update",
        row_id="n.id",
        before="to_jsonb(o)",
        after="to_jsonb(n)",
        source="history_old o JOIN history_new n ON n.id = o.id "
        "WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n)",
    ),
    f"""
    CREATE OR REPLACE FUNCTION prm_statement_freeze() RETURNS trigger AS $$
    DECLARE
        mutable text[] := ARRAY{list(PAYMENT_COLUMNS + ACKNOWLEDGEMENT_COLUMNS)!r};
        acknowledgement text[] := ARRAY{list(ACKNOWLEDGEMENT_COLUMNS)!r};
    BEGIN
        IF OLD.status NOT IN {FROZEN_STATUSES!r} THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE'
           OR to_jsonb(NEW) - mutable IS DISTINCT FROM to_jsonb(OLD) - mutable
           OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'paid'))
           OR (OLD.status = 'paid' AND to_jsonb(NEW) - 'updated_at' - acknowledgement
               IS DISTINCT FROM to_jsonb(OLD) - 'updated_at' - acknowledgement)
           OR (OLD.acknowledged_at IS NOT NULL
               AND (NEW.acknowledged_at IS DISTINCT FROM OLD.acknowledged_at
                    OR NEW.acknowledged_by_id IS DISTINCT FROM OLD.acknowledged_by_id))
        THEN
            RAISE EXCEPTION '{FROZEN_MESSAGE} (statement %)', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION prm_statement_line_freeze() RETURNS trigger AS $$
    DECLARE
        frozen bigint;
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT s.id INTO frozen FROM history_new l JOIN {STATEMENT_TABLE} s
                ON s.id = l.statement_id WHERE s.status IN {FROZEN_STATUSES!r} LIMIT 1;
        END IF;
        IF frozen IS NULL AND TG_OP IN ('DELETE', 'UPDATE') THEN
            SELECT s.id INTO frozen FROM history_old l JOIN {STATEMENT_TABLE} s
                ON s.id = l.statement_id WHERE s.status IN {FROZEN_STATUSES!r} LIMIT 1;
        END IF;
        IF frozen IS NOT NULL THEN
            RAISE EXCEPTION '{FROZEN_MESSAGE} (statement %)', frozen
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,  # noqa: S608 (constant identifiers)
]
_PG_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS history_new",
    "delete": "REFERENCING OLD TABLE AS history_old",
    "update": "REFERENCING OLD TABLE AS history_old NEW TABLE AS history_new",
}


def _pg_triggers() -> dict[tuple[str, str], str]:
    """{(table, trigger name): CREATE TRIGGER statement}."""
    found = {}
    for table in tables():
        for op in ("update",) if table in UPDATES_ONLY else OPERATIONS:
            name = f"prm_history_{op}"
            found[(table, name)] = (
                f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} {_PG_REFERENCING[op]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION prm_history_{op}()"
            )
    found[(STATEMENT_TABLE, "prm_statement_freeze")] = (
        f"CREATE TRIGGER prm_statement_freeze BEFORE UPDATE OR DELETE ON {STATEMENT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION prm_statement_freeze()"
    )
    for op in OPERATIONS:
        name = f"prm_statement_line_freeze_{op}"
        found[(LINE_TABLE, name)] = (
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {LINE_TABLE} {_PG_REFERENCING[op]} "
            "FOR EACH STATEMENT EXECUTE FUNCTION prm_statement_line_freeze()"
        )
    return found


# SQLite ---------------------------------------------------------------------------------------


def _sqlite_columns(cursor, table: str) -> tuple[list[str], set[str]]:
    """The table's columns, and those holding JSON (Django's JSON_VALID check)."""
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
    row = cursor.fetchone()
    if row is None:
        return [], set()
    json_columns = set(re.findall(r'JSON_VALID\("(\w+)"\)', row[0], re.IGNORECASE))
    cursor.execute(f'PRAGMA table_info("{table}")')
    return [r[1] for r in cursor.fetchall()], json_columns


def _sqlite_object(row: str, columns: list[str], json_columns: set[str]) -> str:
    parts = []
    for column in columns:
        value = f'{row}."{column}"'
        if column in json_columns:
            value = f"json({value})"
        parts.append(f"'{column}', {value}")
    return f"json_object({', '.join(parts)})"


def _sqlite_triggers(cursor) -> dict[str, str]:
    """{trigger name: CREATE TRIGGER statement} for the tables that exist."""
    found = {}
    for table in tables():
        columns, json_columns = _sqlite_columns(cursor, table)
        if not columns:
            continue
        old = _sqlite_object("OLD", columns, json_columns)
        new = _sqlite_object("NEW", columns, json_columns)
        values = {
            "insert": ("NEW.id", "NULL", new),
            "update": ("NEW.id", old, new),
            "delete": ("OLD.id", old, "NULL"),
        }
        for op in ("update",) if table in UPDATES_ONLY else OPERATIONS:
            row_id, before, after = values[op]
            name = f"prm_history_{table}_{op}"
            found[name] = (
                f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW BEGIN "  # noqa: S608
                'INSERT INTO core_rowchange ("table", row_id, op, before, after, changed_at, '
                f"actor_id, txid) VALUES ('{table}', {row_id}, '{op}', {before}, {after}, "
                "strftime('%Y-%m-%d %H:%M:%f', 'now'), prm_history_actor(), NULL); END"
            )
    columns, _ = _sqlite_columns(cursor, STATEMENT_TABLE)
    if columns:
        frozen = " OR ".join(
            f'OLD."{c}" IS NOT NEW."{c}"'
            for c in columns
            if c not in PAYMENT_COLUMNS + ACKNOWLEDGEMENT_COLUMNS
        )
        if "acknowledged_at" in columns:
            frozen += (
                " OR (OLD.acknowledged_at IS NOT NULL AND ("
                + " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in ACKNOWLEDGEMENT_COLUMNS)
                + "))"
            )
        paid = " OR ".join(
            f'OLD."{c}" IS NOT NEW."{c}"' for c in PAYMENT_COLUMNS if c != "updated_at"
        )
        statuses = ", ".join(f"'{s}'" for s in FROZEN_STATUSES)
        found["prm_statement_freeze"] = (
            f"CREATE TRIGGER prm_statement_freeze BEFORE UPDATE ON {STATEMENT_TABLE} "
            f"FOR EACH ROW WHEN OLD.status IN ({statuses}) AND ({frozen} "
            "OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'paid')) "
            f"OR (OLD.status = 'paid' AND ({paid}))) "
            f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END"
        )
        for op, row in (("insert", "NEW"), ("update", "NEW"), ("update_old", "OLD")):
            event = "UPDATE" if op.startswith("update") else op.upper()
            found[f"prm_statement_line_freeze_{op}"] = (
                f"CREATE TRIGGER prm_statement_line_freeze_{op} BEFORE {event} ON {LINE_TABLE} "  # noqa: S608
                f"FOR EACH ROW WHEN (SELECT status FROM {STATEMENT_TABLE} "
                f"WHERE id = {row}.statement_id) IN ({statuses}) "
                f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END"
            )
        # Deleting is refused on PostgreSQL only: SQLite empties tables with DELETE (flush).
    return found


# Installing -----------------------------------------------------------------------------------


def _table_exists(cursor, connection, table: str) -> bool:
    return table in connection.introspection.table_names(cursor)


def history_triggers_install(connection) -> None:
    """Create (or recreate) every history and freeze trigger. Used by the migration."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in PG_FUNCTIONS:
                cursor.execute(sql)
            existing = set(connection.introspection.table_names(cursor))
            for (table, name), sql in _pg_triggers().items():
                if table in existing:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    cursor.execute(sql)
        else:
            for name, sql in _sqlite_triggers(cursor).items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def history_triggers_remove(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            existing = set(connection.introspection.table_names(cursor))
            for table, name in _pg_triggers():
                if table in existing:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for op in OPERATIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS prm_history_{op}()")
            cursor.execute("DROP FUNCTION IF EXISTS prm_statement_freeze()")
            cursor.execute("DROP FUNCTION IF EXISTS prm_statement_line_freeze()")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND (name LIKE 'prm_history_%' OR name LIKE 'prm_statement_%')"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def sqlite_triggers_lift(apps, schema_editor) -> None:
    """A migration's first step before it rebuilds a table on SQLite (adding or altering a column
    there copies the table and renames the copy, which a trigger naming the table blocks): drop
    the history and freeze triggers; `history_triggers_ensure` puts them back after migrate."""
    if schema_editor.connection.vendor == "sqlite":
        history_triggers_remove(schema_editor.connection)


def history_triggers_missing(connection) -> list[str]:
    """Triggers that should exist and do not (or, on SQLite, whose text is out of date)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'prm_%%' AND c.relkind = 'r'"
            )
            present = set(cursor.fetchall())
            return sorted(f"{t}.{n}" for t, n in _pg_triggers() if (t, n) not in present)
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        present = dict(cursor.fetchall())
        return sorted(
            name for name, sql in _sqlite_triggers(cursor).items() if present.get(name) != sql
        )


def history_triggers_ensure(sender=None, using: str = "default", **kwargs) -> None:
    """After migrate (post_migrate): put back any trigger a schema change removed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if not _table_exists(cursor, connection, "core_rowchange"):
            return
    if history_triggers_missing(connection):
        history_triggers_install(connection)
