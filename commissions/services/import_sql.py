"""The sales import on PostgreSQL: the file is streamed into a staging table (`import_stream`),
then checked set-based with the same checks, reasons, columns and order as `RowChecker` and
`imports`: each row on its own (identity, then date and kind, then figures, then texts), then
the file's duplicates, the rows already imported, the returns against their originals and what
those may still give back. Good rows go in with INSERT ... SELECT, rejections with one INSERT.

The rare rows whose rejection would quote a value that is not plain ASCII (Python's repr() and
upper() decide those), and numbers too long to cast safely, are checked by RowChecker itself.

The statements are built from column positions and constants only (the S608 exemptions below);
the file's cells reach PostgreSQL as COPY data or as parameters, never as SQL text."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from prm.core.money import MINOR_UNITS, minor_unit

from ..models import ImportBatch, ImportRejection, Sale
from ..signals import sales_imported
from .import_checks import (
    MAX_AMOUNT,
    MAX_LENGTHS,
    MAX_QUANTITY,
    QUANTITY_PLACES,
    ImportFileError,
    Rejected,
    RowChecker,
)
from .import_stream import Stager

PLAIN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
GROUPED = r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$"
EXPONENT = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A number longer than this is checked by RowChecker: a cast of a huge one could overflow.
LONGEST_NUMBER = 40
SALE_COLUMNS = (
    "external_id, partner_id, product_id, customer_name, customer_tax_id, segment, territory, "
    "invoice_date, kind, quantity, net_amount, currency, original_currency, original_amount, "
    "exchange_rate, rate_date"
)
# The stored figures of a checked row `c`: converted into the partner's currency at {rate}
# (rounded half-up: the amounts are positive, and round() takes halves away from zero) when
# invoiced in another currency, with the invoice's currency, amount and rate kept beside them.
CONVERTED = (
    "CASE WHEN c.currency = c.pcur THEN c.net_amount "
    "ELSE round(c.net_amount * {rate}, c.pplaces) END, c.pcur, "
    "CASE WHEN c.currency = c.pcur THEN '' ELSE c.currency END, "
    "CASE WHEN c.currency <> c.pcur THEN c.net_amount END, "
    "CASE WHEN c.currency <> c.pcur THEN {rate} END, "
    "CASE WHEN c.currency <> c.pcur THEN {rate_date} END"
)
TEMP_TABLES = (
    "import_stage",
    "import_problem",
    "import_escape",
    "import_partner",
    "import_day",
    "import_checked",
    "import_rejected",
    "import_return",
    "import_original",
    "import_inserted",
)
KNOWN = ", ".join(f"'{code}'" for code in MINOR_UNITS)
# The first failing check of a row, in RowChecker's order, and the column it is reported in.
CHECKS = [
    (1, "external_id", "c.ext = ''"),
    (2, "external_id", f"char_length(c.ext) > {MAX_LENGTHS['external_id']}"),
    (3, "partner_code", "c.partner_id IS NULL"),
    (4, "sku", "c.product_id IS NULL"),
    (5, "customer_name", "c.name = ''"),
    (6, "invoice_date", "c.invoice_date IS NULL"),
    (7, "kind", "c.kind NOT IN ('sale', 'return')"),
    (8, "original_external_id", "c.kind = 'return' AND c.orig = ''"),
    (9, "original_external_id", "c.kind = 'sale' AND c.orig <> ''"),
    (
        10,
        "quantity",
        f"NOT coalesce(c.quantity > 0 AND c.quantity <= {MAX_QUANTITY} "
        f"AND scale(c.quantity) <= {QUANTITY_PLACES}, false)",
    ),
    (
        11,
        "currency",
        "c.currency <> c.pcur AND (c.currency NOT IN (" + KNOWN + ") "
        "OR (c.kind = 'sale' AND c.rate IS NULL))",
    ),
    (
        12,
        "net_amount",
        f"NOT coalesce(c.net_amount > 0 AND c.net_amount <= {MAX_AMOUNT} "
        "AND scale(c.net_amount) <= c.places, false)",
    ),
    (13, "territory", f"char_length(c.terr) > {MAX_LENGTHS['territory']}"),
    (14, "segment", f"char_length(c.seg) > {MAX_LENGTHS['segment']}"),
    (15, "customer_tax_id", f"char_length(c.tax) > {MAX_LENGTHS['customer_tax_id']}"),
    (16, "customer_name", f"char_length(c.name) > {MAX_LENGTHS['customer_name']}"),
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pyrepr(expr: str) -> str:
    """Python's repr() of an ASCII text (the only kind that reaches it)."""
    escaped = (
        f"replace(replace(replace(replace({expr}, '\\', '\\\\'), chr(9), '\\t'), "
        f"chr(10), '\\n'), chr(13), '\\r')"
    )
    return (
        f"CASE WHEN strpos({expr}, '''') > 0 AND strpos({expr}, '\"') = 0 "
        f"THEN '\"' || {escaped} || '\"' "
        f"ELSE '''' || replace({escaped}, '''', '\\''') || '''' END"
    )


def _number_reason(text: str, value: str, places: str, limit: Decimal, unit: str) -> str:
    """The reason of `_number` for a rejected quantity or amount."""
    return f"""CASE
        WHEN {text} = '' THEN 'required'
        WHEN {value} IS NULL THEN CASE
            WHEN {text} ~ {_literal(GROUPED)} THEN {text} || ' has thousands separators; write '
                || replace({text}, ',', '')
            WHEN {text} ~ {_literal(EXPONENT)}
                THEN {text} || ' is in exponent notation; write the number in full'
            ELSE left({text}, 40) || ' is not a number' END
        WHEN {value} < 0
            THEN {text} || ' is negative (a return is kind=return with positive figures)'
        WHEN {value} = 0 THEN 'must be greater than zero'
        WHEN {value} > {limit} THEN {_literal(f"too large (at most {limit:,})")}
        WHEN {places} = 0 THEN {text} || ' has decimals, and ' || {unit} || ' has none'
        ELSE {text} || ' has more than ' || {places} || ' decimals (' || {unit} || ' has '
            || {places} || ')' END"""


def _date_reason(earliest: dt.date, past: int, future: int) -> str:
    year, month, day = (
        "substr(c.dtext, 1, 4)::int",
        "substr(c.dtext, 6, 2)::int",
        "substr(c.dtext, 9, 2)::int",
    )
    return f"""CASE
        WHEN c.dtext !~ {_literal(ISO_DATE)} THEN 'not a date (YYYY-MM-DD)'
        WHEN {year} < 1 OR {month} NOT BETWEEN 1 AND 12 OR {day} < 1
            THEN 'not a date (YYYY-MM-DD)'
        WHEN {day} > extract(day FROM make_date({year}, {month}, 1)
                + interval '1 month' - interval '1 day')
            THEN 'not a date (YYYY-MM-DD)'
        WHEN make_date({year}, {month}, {day}) < DATE '{earliest.isoformat()}'
            THEN c.dtext || ' is more than {past} days before today'
        ELSE c.dtext || ' is more than {future} days after today' END"""


def _places(currency: str) -> str:
    cases = " ".join(
        f"WHEN {_literal(code)} THEN {places}"
        for code, places in MINOR_UNITS.items()
        if places != 2
    )
    return f"CASE {currency} {cases} ELSE 2 END"


class SqlImport:
    """One import on one PostgreSQL connection; `run` answers the counts and the rejections."""

    def __init__(self, *, batch: ImportBatch, partners, progress=None) -> None:
        self.batch = batch
        self.partners = partners
        self.progress = progress
        self.created = 0
        self.duplicates = 0
        self.rejected: list[Rejected] = []
        self.timings: dict[str, float] = {}  # seconds per step, for the benchmark
        self.returns_wanted = 0
        self.sale_days: set[dt.date] | None = set()  # the days of the sales to store

    def run(
        self,
        handle: IO[bytes],
        *,
        finish: Callable[[SqlImport], None],
        size: int | None = None,
    ) -> None:
        """Stage the file (committed progress reports on the way), then check and write it in
        one transaction that `finish` closes: a worker that dies leaves nothing behind."""
        with connection.cursor() as cursor:
            self.cursor = cursor
            try:
                started = time.perf_counter()
                self.staged = Stager(cursor, handle, progress=self.progress, size=size).run()
                self.timings["stage"] = time.perf_counter() - started
                if not self.staged.nonblank:
                    raise ImportFileError("The file has a header row but no rows of sales.")
                ImportBatch.objects.filter(pk=self.batch.pk).update(
                    total_rows=self.staged.records, sha256=self.staged.sha256
                )
                with transaction.atomic():
                    for step in (
                        self._check_rows,
                        self._check_file,
                        self._insert_sales,
                        self._insert_returns,
                        self._reject,
                    ):
                        self._timed(step.__name__.strip("_"), step)
                    self._timed("finish", lambda: finish(self))
                    started = time.perf_counter()
                self.timings["commit"] = time.perf_counter() - started
            finally:
                if connection.connection is not None and not connection.needs_rollback:
                    self._drop(cursor)

    def _timed(self, name: str, step: Callable[[], None]) -> None:
        started = time.perf_counter()
        step()
        self.timings[name] = time.perf_counter() - started

    def months(self) -> list[str]:
        """The months of the rows created, for the recomputes they call for."""
        return self._months()

    def signal(self) -> None:
        sales_imported.send(
            sender=ImportBatch, batch_id=self.batch.pk, sales=ImportedSales(self.batch.pk)
        )

    @staticmethod
    def _drop(cursor) -> None:
        # On a connection that was lost the tables went with it.
        with contextlib.suppress(DatabaseError):
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(TEMP_TABLES))

    # Each row on its own -------------------------------------------------------------------
    def _cell(self, name: str) -> str:
        position = self.staged.columns.get(name)
        return f"s.f{position + 1}" if position is not None else "''"

    def _check_rows(self) -> None:
        staged, cell = self.staged, self._cell
        partners_sql, partner_params = self.partners.values_list(
            "pk", "code", "currency"
        ).query.sql_with_params()
        today = timezone.localdate()
        past, future = settings.PRM_IMPORT_MAX_PAST_DAYS, settings.PRM_IMPORT_MAX_FUTURE_DAYS
        self.earliest = today - dt.timedelta(days=past)
        latest = today + dt.timedelta(days=future)
        blank = " AND ".join(f"s.f{i + 1} = ''" for i in range(len(staged.header)))
        long_number = (
            f"char_length({cell('quantity')}) > {LONGEST_NUMBER} "
            f"OR char_length({cell('net_amount')}) > {LONGEST_NUMBER}"
        )
        code = " ".join(f"WHEN {condition} THEN {number}" for number, _, condition in CHECKS)
        currency = f'upper({cell("currency")} COLLATE "C")'
        # A line in another currency: the latest rate on or before its date, read through the
        # pair's index. Only such a line evaluates it: the others pay no look-up at all.
        rate = (
            "SELECT r.{column} FROM commissions_exchangerate r "  # noqa: S608
            f"WHERE r.from_currency = {currency} AND r.to_currency = p.currency "
            "AND r.date <= d.d ORDER BY r.date DESC LIMIT 1"
        )
        self.cursor.execute(
            f"""
            -- Plans are costed for tables no statistics describe yet: no JIT compilation.
            SET LOCAL work_mem = '256MB';
            SET LOCAL jit = off;
            -- The small tables are hashed and the staging table read once, in file order; a
            -- merge join would sort the million rows by one of their cells.
            SET LOCAL enable_mergejoin = off;
            CREATE TEMP TABLE import_rejected (n integer, col text, reason text);
            CREATE TEMP TABLE import_partner (id, code, currency) AS {partners_sql};
            CREATE TEMP TABLE import_day AS
                SELECT to_char(d, 'YYYY-MM-DD') AS txt, d::date AS d
                FROM generate_series(%s::date, %s::date, interval '1 day') AS d;
            ANALYZE import_partner;
            ANALYZE import_day;
            INSERT INTO import_escape
                SELECT s.n FROM import_stage s WHERE NOT ({blank}) AND ({long_number});
            CREATE TEMP TABLE import_checked AS
            SELECT c.*, CASE {code} ELSE 0 END AS code FROM (
                SELECT s.n, {cell("external_id")} AS ext, {cell("partner_code")} AS partner_code,
                    p.id AS partner_id, p.currency::text AS pcur,
                    {_places(currency)} AS places,
                    {_places("p.currency")} AS pplaces,
                    CASE WHEN {currency} <> p.currency THEN ({rate.format(column="rate")}) END
                        AS rate,
                    CASE WHEN {currency} <> p.currency THEN ({rate.format(column="date")}) END
                        AS rate_date,
                    {cell("sku")} AS sku, pr.id AS product_id,
                    {cell("customer_name")} AS name, {cell("customer_tax_id")} AS tax,
                    {cell("segment")} AS seg, {cell("territory")} AS terr,
                    {cell("invoice_date")} AS dtext, d.d AS invoice_date, {cell("kind")} AS kind,
                    {cell("quantity")} AS qtext,
                    CASE WHEN {cell("quantity")} ~ {_literal(PLAIN)}
                        THEN {cell("quantity")}::numeric END AS quantity,
                    {cell("net_amount")} AS atext,
                    CASE WHEN {cell("net_amount")} ~ {_literal(PLAIN)}
                        THEN {cell("net_amount")}::numeric END AS net_amount,
                    {currency} AS currency,
                    {cell("original_external_id")} AS orig
                FROM import_stage s
                LEFT JOIN import_partner p ON p.code = {cell("partner_code")}
                LEFT JOIN agreements_product pr ON pr.sku = {cell("sku")}
                LEFT JOIN import_day d ON d.txt = {cell("invoice_date")}
                WHERE NOT ({blank}) AND NOT ({long_number})
                    AND s.n NOT IN (SELECT n FROM import_escape)
                OFFSET 0  -- each cell is cast once, not once per check that reads it
            ) c;
            ANALYZE import_checked (n, ext, orig, code, kind);
            SELECT EXISTS (SELECT 1 FROM import_escape);
            """,  # noqa: S608
            [*partner_params, self.earliest, latest],
        )
        if self.cursor.fetchone()[0]:
            self._check_escapes()

    def _check_escapes(self) -> None:
        """The rows RowChecker checks: its verdicts join the others."""
        header = self.staged.header
        checker = RowChecker(header, self.staged.columns, self.partners)
        columns = ", ".join(f"s.f{i + 1}" for i in range(len(header)))
        self.cursor.execute(
            f"SELECT s.n, {columns} FROM import_stage s "  # noqa: S608
            "WHERE s.n IN (SELECT n FROM import_escape) ORDER BY s.n"
        )
        good, bad = [], []
        for n, *cells in self.cursor.fetchall():
            values, problem, original = checker.check(list(cells))
            if problem is not None:
                bad.append((n, problem.column, problem.reason))
                continue
            currency = values["original_currency"] or values["currency"]
            amount = values["original_amount"] or values["net_amount"]
            good.append(
                (
                    n,
                    values["external_id"],
                    values["partner_id"],
                    values["product_id"],
                    values["customer_name"],
                    values["customer_tax_id"],
                    values["segment"],
                    values["territory"],
                    values["invoice_date"],
                    values["kind"],
                    values["quantity"],
                    amount,
                    currency,
                    original,
                    values["currency"],
                    minor_unit(values["currency"]),
                    values["exchange_rate"],
                    values["rate_date"],
                )
            )
        if good:
            execute_values(
                self.cursor.cursor,
                "INSERT INTO import_checked (n, ext, partner_id, product_id, name, tax, seg, terr, "
                "invoice_date, kind, quantity, net_amount, currency, orig, pcur, pplaces, rate, "
                "rate_date, code) VALUES %s",
                good,
                template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, 0)",
            )
        if bad:
            execute_values(self.cursor.cursor, "INSERT INTO import_rejected VALUES %s", bad)

    # The file as a whole -------------------------------------------------------------------
    def _check_file(self) -> None:
        """Row rejections; then duplicates in the file and in the database; then the returns
        against their originals (in the database, or among this file's sales)."""
        column = "CASE c.code " + " ".join(f"WHEN {n} THEN '{col}'" for n, col, _ in CHECKS)
        reasons = {
            1: "'required'",
            2: f"'longer than {MAX_LENGTHS['external_id']} characters'",
            3: f"'unknown partner ' || {_pyrepr('left(c.partner_code, 40)')}",
            4: f"'unknown SKU ' || {_pyrepr('left(c.sku, 40)')}",
            5: "'required'",
            6: _date_reason(
                self.earliest,
                settings.PRM_IMPORT_MAX_PAST_DAYS,
                settings.PRM_IMPORT_MAX_FUTURE_DAYS,
            ),
            7: "'must be sale or return'",
            8: "'required for a return'",
            9: "'only returns refer to an original sale'",
            10: _number_reason(
                "c.qtext", "c.quantity", str(QUANTITY_PLACES), MAX_QUANTITY, "'a quantity'"
            ),
            11: f"CASE WHEN c.currency IN ({KNOWN}) "
            "THEN 'no ' || c.currency || '→' || c.pcur || ' rate on or before ' || c.dtext "
            "ELSE coalesce(nullif(left(c.currency, 8), ''), 'empty') "
            "|| ', but the partner is invoiced in ' || c.pcur END",
            12: _number_reason("c.atext", "c.net_amount", "c.places", MAX_AMOUNT, "c.currency"),
            **{
                n: f"'longer than {MAX_LENGTHS[name]} characters'"
                for n, name in (
                    (13, "territory"),
                    (14, "segment"),
                    (15, "customer_tax_id"),
                    (16, "customer_name"),
                )
            },
        }
        reason = "CASE c.code " + " ".join(f"WHEN {n} THEN {r}" for n, r in reasons.items())
        no_sale = f"'no sale ' || {_pyrepr('left(r.orig, 64)')}"
        self.cursor.execute(
            f"""
            INSERT INTO import_rejected
                SELECT c.n, {column} END, {reason} END FROM import_checked c WHERE c.code > 0;
            -- A row already met earlier in the file, or already imported: a duplicate.
            UPDATE import_checked SET code = -1 WHERE n IN (
                SELECT n FROM (
                    SELECT n, row_number() OVER (PARTITION BY ext ORDER BY n) AS r
                    FROM import_checked WHERE code = 0 AND ext IN (
                        SELECT ext FROM import_checked WHERE code = 0
                        GROUP BY ext HAVING count(*) > 1
                    )
                ) later WHERE r > 1
            );
            UPDATE import_checked c SET code = -2 FROM commissions_sale s
                WHERE s.external_id = c.ext AND c.code = 0;
            CREATE TEMP TABLE import_return AS
            SELECT r.n, r.ext, r.orig, r.quantity, r.net_amount, r.invoice_date, CASE
                WHEN f.n IS NULL AND s.id IS NULL THEN {no_sale}
                WHEN coalesce(f.kind, s.kind) <> 'sale' THEN 'the original is itself a return'
                WHEN coalesce(f.partner_id, s.partner_id) <> r.partner_id
                    THEN 'the original sale belongs to another partner'
                WHEN coalesce(f.product_id, s.product_id) <> r.product_id
                    THEN 'the original sale is of another SKU'
                WHEN r.invoice_date < coalesce(f.invoice_date, s.invoice_date)
                    THEN 'dated before the original sale'
                WHEN r.currency <> coalesce(f.currency, nullif(s.original_currency, ''), s.currency)
                    THEN 'the original sale was invoiced in '
                        || coalesce(f.currency, nullif(s.original_currency, ''), s.currency)
                END AS problem, 0 AS state
            FROM import_checked r
            LEFT JOIN import_checked f ON f.ext = r.orig AND f.code = 0
            LEFT JOIN commissions_sale s ON s.external_id = r.orig AND f.n IS NULL
            WHERE r.code = 0 AND r.kind = 'return';
            UPDATE import_return SET state = 1 WHERE problem IS NOT NULL;
            SELECT n, orig FROM import_return
                WHERE state = 1 AND problem LIKE 'no sale %' AND orig ~ '[^\\x01-\\x7e]';
            """  # noqa: S608
        )
        # A value outside printable ASCII is quoted by Python's own repr().
        fixes = [(n, f"no sale {orig[:64]!r}") for n, orig in self.cursor.fetchall()]
        if fixes:
            execute_values(
                self.cursor.cursor,
                "UPDATE import_return r SET problem = v.problem FROM (VALUES %s) AS v (n, problem) "
                "WHERE r.n = v.n",
                fixes,
            )
        self.cursor.execute(
            """
            INSERT INTO import_rejected
                SELECT n, 'original_external_id', problem FROM import_return WHERE state = 1;
            -- The duplicates, and the sales to store per day (the months they fall in call
            -- for recomputes), in one pass.
            SELECT code, CASE WHEN code = 0 THEN invoice_date END, count(*)
            FROM import_checked WHERE code IN (-1, -2) OR (code = 0 AND kind = 'sale')
            GROUP BY 1, 2;
            """
        )
        self.duplicates = self.sales_wanted = 0
        self.sale_days = set()
        for code, day, count in self.cursor.fetchall():
            if code:
                self.duplicates += count
            else:
                self.sales_wanted += count
                self.sale_days.add(day)

    # Writing -------------------------------------------------------------------------------
    def _insert(self, select: str, params: list, *, wanted: int) -> int:
        """Insert the rows of `select` (in file order) and answer how many went in; rows whose
        external_id another import stored meanwhile are skipped and counted as duplicates."""
        table = Sale._meta.db_table
        insert = f"INSERT INTO {table} ({SALE_COLUMNS}, original_id, batch_id) {select}"
        try:
            # The rows were checked against the database a moment ago: straight in.
            with transaction.atomic():
                self.cursor.execute(insert, params)
            return wanted
        except IntegrityError:
            pass  # another import stored some of these external_ids meanwhile
        self.cursor.execute(
            f"""
            DROP TABLE IF EXISTS import_inserted;
            CREATE TEMP TABLE import_inserted AS
            WITH stored AS ({insert} ON CONFLICT (external_id) DO NOTHING RETURNING external_id)
            SELECT external_id FROM stored;
            SELECT count(*) FROM import_inserted;
            """,  # noqa: S608
            params,
        )
        created = self.cursor.fetchone()[0]
        self.duplicates += wanted - created
        return created

    def _insert_sales(self) -> None:
        select = (
            "SELECT c.ext, c.partner_id, c.product_id, c.name, c.tax, c.seg, c.terr, "  # noqa: S608
            "c.invoice_date, c.kind, c.quantity, "
            f"{CONVERTED.format(rate='c.rate', rate_date='c.rate_date')}, NULL, %s "
            "FROM import_checked c WHERE c.code = 0 AND c.kind = 'sale' ORDER BY c.n"
        )
        created = self._insert(select, [self.batch.pk], wanted=self.sales_wanted)
        if created != self.sales_wanted:
            self.cursor.execute(
                "UPDATE import_checked SET code = -3 WHERE code = 0 AND kind = 'sale' "
                "AND ext NOT IN (SELECT external_id FROM import_inserted)"
            )
            self.sale_days = None  # some days may have lost all their sales: read them again
        self.created += created

    def _insert_returns(self) -> None:
        """The returns that stay within what their original may still give back, over every
        import: the originals are locked (in id order) before their returns are counted."""
        self.cursor.execute(
            """
            CREATE TEMP TABLE import_original (external_id text, id bigint, quantity numeric,
                net_amount numeric, currency text, rate numeric);
            -- Returns and their original are in one currency: what is left is counted in it,
            -- and a return converts at its original's rate.
            WITH locked AS (
                SELECT s.external_id, s.id, s.quantity,
                    coalesce(s.original_amount, s.net_amount),
                    coalesce(nullif(s.original_currency, ''), s.currency), s.exchange_rate
                FROM commissions_sale s
                WHERE s.external_id IN (SELECT orig FROM import_return WHERE state = 0)
                ORDER BY s.id FOR UPDATE
            )
            INSERT INTO import_original SELECT * FROM locked;
            UPDATE import_original o SET quantity = o.quantity - t.quantity,
                net_amount = o.net_amount - t.net_amount
            FROM (
                SELECT original_id, sum(quantity) AS quantity,
                    sum(coalesce(original_amount, net_amount)) AS net_amount
                FROM commissions_sale
                WHERE kind = 'return' AND original_id IN (SELECT id FROM import_original)
                GROUP BY original_id
            ) t WHERE t.original_id = o.id;
            -- A return another import stored meanwhile is a duplicate, not a second claw-back.
            UPDATE import_return r SET state = 2 FROM commissions_sale s
                WHERE r.state = 0 AND s.external_id = r.ext;
            -- Where every return of an original fits, all of them go in; the others are
            -- decided one by one in file order.
            SELECT r.n, r.orig, r.quantity, r.net_amount, o.quantity, o.net_amount, o.currency
            FROM import_return r JOIN import_original o ON o.external_id = r.orig
            WHERE r.state = 0 AND r.orig IN (
                SELECT orig FROM (
                    SELECT r2.orig, o2.quantity AS q, o2.net_amount AS a,
                        sum(r2.quantity) OVER w AS taken_q, sum(r2.net_amount) OVER w AS taken_a
                    FROM import_return r2 JOIN import_original o2 ON o2.external_id = r2.orig
                    WHERE r2.state = 0
                    WINDOW w AS (PARTITION BY r2.orig ORDER BY r2.n)
                ) running WHERE taken_q > q OR taken_a > a
            )
            ORDER BY r.orig, r.n;
            """
        )
        exceeding = self._exceeding(self.cursor.fetchall())
        if exceeding:
            execute_values(
                self.cursor.cursor,
                "INSERT INTO import_rejected VALUES %s",
                [(n, column, reason) for n, column, reason in exceeding],
            )
            execute_values(
                self.cursor.cursor,
                "UPDATE import_return r SET state = 3 FROM (VALUES %s) AS v (n) WHERE r.n = v.n",
                [(n,) for n, _, _ in exceeding],
            )
        self.cursor.execute(
            "SELECT (SELECT count(*) FROM import_return WHERE state = 2), "
            "(SELECT count(*) FROM import_return WHERE state = 0)"
        )
        arrived, wanted = self.cursor.fetchone()
        self.duplicates += arrived
        self.returns_wanted = wanted
        if not wanted:
            return
        select = (
            "SELECT c.ext, c.partner_id, c.product_id, c.name, c.tax, c.seg, c.terr, "  # noqa: S608
            "c.invoice_date, c.kind, c.quantity, "
            f"{CONVERTED.format(rate='o.rate', rate_date='s.rate_date')}, "
            "o.id, %s FROM import_return r JOIN import_checked c ON c.n = r.n "
            "JOIN import_original o ON o.external_id = r.orig JOIN commissions_sale s "
            "ON s.id = o.id WHERE r.state = 0 ORDER BY r.n"
        )
        created = self._insert(select, [self.batch.pk], wanted=wanted)
        if created != wanted:
            self.cursor.execute(
                "UPDATE import_return SET state = 2 WHERE state = 0 "
                "AND ext NOT IN (SELECT external_id FROM import_inserted)"
            )
        self.created += created

    @staticmethod
    def _exceeding(rows: list[tuple]) -> list[tuple[int, str, str]]:
        """The returns of originals whose returns do not all fit, taken in file order: each
        takes what it returns from what is left, or is rejected and takes nothing."""
        from .imports import _units

        rejected = []
        remaining: dict[str, tuple[Decimal, Decimal]] = {}
        for n, original, quantity, amount, left_q, left_a, currency in rows:
            left_q, left_a = remaining.get(original, (left_q, left_a))
            if quantity > left_q or amount > left_a:
                column = "quantity" if quantity > left_q else "net_amount"
                places = minor_unit(currency)
                left = f"{_units(max(left_q, Decimal(0)))}, {max(left_a, Decimal(0)):,.{places}f}"
                rejected.append(
                    (
                        n,
                        column,
                        f"returns would exceed the original sale {original[:64]!r} "
                        f"(still returnable: {left})",
                    )
                )
                remaining[original] = (left_q, left_a)
                continue
            remaining[original] = (left_q - quantity, left_a - amount)
        return rejected

    def _reject(self) -> None:
        width = len(self.staged.header)
        ragged = (
            f"'row has ' || p.fields || ' fields, the header has {width}' || CASE "
            f"WHEN p.lines > 1 AND p.fields < {width} THEN ' (a quote opened in it is not "
            "closed before line ' || p.lines || ' of it)' "
            "WHEN p.lines > 1 THEN ' (it runs over ' || p.lines || ' lines: check its quotes)' "
            "ELSE '' END"
        )
        self.cursor.execute(
            f"""
            INSERT INTO import_rejected
                SELECT p.n, coalesce(p.col, 'row'), coalesce(p.reason, {ragged})
                FROM import_problem p;
            INSERT INTO {ImportRejection._meta.db_table} (batch_id, row_number, "column", reason)
                SELECT %s, n, col, left(reason, 255) FROM import_rejected
                ORDER BY n, col COLLATE "C";
            SELECT n, col, reason FROM import_rejected ORDER BY n, col COLLATE "C";
            """,  # noqa: S608
            [self.batch.pk],
        )
        self.rejected = [Rejected(n, column, reason) for n, column, reason in self.cursor]

    def _months(self) -> list[str]:
        days = self.sale_days
        if days is None:
            self.cursor.execute(
                "SELECT DISTINCT invoice_date FROM import_checked WHERE code = 0 AND kind = 'sale'"
            )
            days = {day for (day,) in self.cursor.fetchall()}
        if self.returns_wanted:
            self.cursor.execute("SELECT DISTINCT invoice_date FROM import_return WHERE state = 0")
            days = days | {day for (day,) in self.cursor.fetchall()}
        return sorted({f"{day.year:04d}-{day.month:02d}" for day in days})


class ImportedSales:
    """The sales an import created, read from the database each time they are iterated (a
    million of them are never held in memory at once)."""

    FIELDS = (
        "external_id",
        "partner_id",
        "product_id",
        "customer_name",
        "customer_tax_id",
        "segment",
        "territory",
        "invoice_date",
        "kind",
        "quantity",
        "net_amount",
        "currency",
    )

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id

    def __iter__(self) -> Iterator[dict]:
        return (
            Sale.objects.filter(batch_id=self.batch_id, kind=Sale.Kind.SALE)
            .order_by("pk")
            .values(*self.FIELDS)
            .iterator(chunk_size=5000)
        )
