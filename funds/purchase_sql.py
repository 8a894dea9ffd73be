"""The purchases import on PostgreSQL: the file is streamed into the sales import's staging table
(`import_stream.Stager`, with the purchases file's rules for its header, short rows and bad
characters), then checked set-based with the same checks, reasons, columns and order as
`purchases._RowChecker`: each row on its own, then the lines repeated in the file, then the lines
already imported. Good rows go in with INSERT ... SELECT, rejections with one INSERT.

The rare rows whose rejection would quote a value that is not plain ASCII (Python's repr()
decides those), and numbers too long to cast safely, are checked by the Python checker itself.

The statements are built from column positions and constants only (the S608 exemptions below);
the file's cells reach PostgreSQL as COPY data or as parameters, never as SQL text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from psycopg2.extras import execute_values

from commissions.services.import_checks import Rejected
from commissions.services.import_sql import KNOWN, _literal, _places, _pyrepr
from commissions.services.import_stream import Staged, StagedImport, Stager
from prm.core.money import minor_unit

from .models import PurchaseInvoiceLine, PurchaseRejection

PLAIN = r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
LONGEST_NUMBER = 40
TEMP_TABLES = (
    "import_stage",
    "import_problem",
    "import_escape",
    "import_partner",
    "import_day",
    "import_checked",
    "import_rejected",
    "import_repeat",
)


# The stored figures of a checked line `c`: its price converted into the partner's currency at the
# rate (rounded half-up: prices are not negative, and round() takes halves away from zero) when
# invoiced in another currency, with the invoice's price, currency and rate kept beside it.
CONVERTED = (
    "CASE WHEN c.currency = c.pcur THEN c.price ELSE round(c.price * c.rate, c.pplaces) END, "
    "c.pcur, CASE WHEN c.currency = c.pcur THEN '' ELSE c.currency END, "
    "CASE WHEN c.currency <> c.pcur THEN c.price END, "
    "CASE WHEN c.currency <> c.pcur THEN c.rate END, "
    "CASE WHEN c.currency <> c.pcur THEN c.rate_date END"
)


class PurchaseStager(Stager):
    """The staging pass with the purchases file's rules: its own header check; a row with more
    cells than the header, or fewer but holding every known column, is kept; a bad character
    counts only in a known column, looked for once the cell is stripped."""

    python_cells = ("line", "partner_code", "sku", "currency")

    def check_header(self, header: list[str]) -> dict[str, int]:
        from .purchases import _check_header

        self.needed = 0
        columns = _check_header(header)
        self.needed = max(columns.values()) + 1
        return columns

    def fit(self, n: int, cells: list[str], lines: int) -> list[str] | None:
        if len(cells) < self.needed:
            self.problems.append(
                (n, len(cells), lines, "row", f"has {len(cells)} cells, the header has more")
            )
            return None
        fitted = (cells + [""] * (self.width - len(cells)))[: self.width]
        if not any(cell.strip() for cell in fitted):
            # Only cells past the header hold text: every known column is empty.
            self.problems.append((n, len(cells), lines, "invoice_number", "required"))
            return None
        return fitted

    def character_problem(self, row: list[str], staged: Staged) -> tuple[str, str] | None:
        from .purchases import BAD_CHARACTER, COLUMNS

        for name in COLUMNS:
            if BAD_CHARACTER.search(row[staged.columns[name]].strip()):
                return name, "not UTF-8 text or holds control characters"
        return None


def _number_reason(text: str, value: str, places: str, limit: Decimal, *, zero_ok: bool) -> str:
    """The reason of `purchases._number` for a rejected quantity or price."""
    zero = "" if zero_ok else f"WHEN {value} = 0 THEN 'must be greater than zero'"
    return f"""CASE
        WHEN {text} = '' THEN 'required'
        WHEN {value} IS NULL THEN CASE
            WHEN left({text}, 1) = '-' AND substr({text}, 2) ~ {_literal(PLAIN)}
                THEN {text} || ' is negative'
            ELSE left({text}, 40) || ' is not a number' END
        {zero}
        WHEN {value} > {limit} THEN {_literal(f"too large (at most {limit:,})")}
        ELSE {text} || ' has more than ' || {places} || ' decimals' END"""


def _date_reason(earliest: dt.date, latest: dt.date) -> str:
    year, month, day = (
        "substr(c.dtext, 1, 4)::int",
        "substr(c.dtext, 6, 2)::int",
        "substr(c.dtext, 9, 2)::int",
    )
    outside = f" is outside {earliest.isoformat()} to {latest.isoformat()}"
    return f"""CASE
        WHEN c.dtext !~ {_literal(ISO_DATE)} THEN 'not a date (YYYY-MM-DD)'
        WHEN {year} < 1 OR {month} NOT BETWEEN 1 AND 12 OR {day} < 1
            THEN c.dtext || ' is not a date'
        WHEN {day} > extract(day FROM make_date({year}, {month}, 1)
                + interval '1 month' - interval '1 day') THEN c.dtext || ' is not a date'
        ELSE c.dtext || {_literal(outside)} END"""


class PurchaseSqlImport(StagedImport):
    """One purchases import on one PostgreSQL connection."""

    steps = ("_check_rows", "_check_file", "_insert", "_reject")
    temp_tables = TEMP_TABLES

    def stage(self, handle: IO[bytes], size: int | None) -> Staged:
        return PurchaseStager(self.cursor, handle, progress=self.progress, size=size).run()

    def _check_rows(self) -> None:
        from .purchases import INVOICE_LENGTH, MAX_LINE, MAX_PRICE, MAX_QUANTITY

        cell = self._cell
        partners_sql, partner_params = self.partners.values_list(
            "pk", "code", "currency"
        ).query.sql_with_params()
        self.earliest = self.today - dt.timedelta(days=settings.PRM_IMPORT_MAX_PAST_DAYS)
        self.latest = self.today + dt.timedelta(days=settings.PRM_IMPORT_MAX_FUTURE_DAYS)
        blank = " AND ".join(f"s.f{i + 1} = ''" for i in range(len(self.staged.header)))
        long_number = (
            f"char_length({cell('quantity')}) > {LONGEST_NUMBER} "
            f"OR char_length({cell('unit_net_price')}) > {LONGEST_NUMBER}"
        )
        checks = [
            (1, "c.inv = ''"),
            (2, f"char_length(c.inv) > {INVOICE_LENGTH}"),
            (3, f"c.line IS NULL OR c.line < 1 OR c.line > {MAX_LINE}"),
            (4, "c.partner_id IS NULL"),
            (5, "c.product_id IS NULL"),
            (6, "c.invoice_date IS NULL"),
            (
                7,
                f"NOT coalesce(c.quantity > 0 AND c.quantity <= {MAX_QUANTITY} "
                "AND scale(c.quantity) <= 2, false)",
            ),
            (8, f"c.currency <> c.pcur AND (c.currency NOT IN ({KNOWN}) OR c.rate IS NULL)"),
            (9, "c.pcur <> c.prcur"),
            (
                10,
                f"NOT coalesce(c.price >= 0 AND c.price <= {MAX_PRICE} "
                "AND scale(c.price) <= c.places, false)",
            ),
        ]
        code = " ".join(f"WHEN {condition} THEN {number}" for number, condition in checks)
        line = cell("line")
        self.cursor.execute(
            f"""
            SET LOCAL work_mem = '256MB';
            SET LOCAL jit = off;
            SET LOCAL enable_mergejoin = off;
            ANALYZE import_stage;
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
                SELECT s.n, {cell("invoice_number")} AS inv, {line} AS ltext,
                    CASE WHEN {line} ~ '^[0-9]+$' AND char_length(ltrim({line}, '0')) <= 10
                        THEN coalesce(nullif(ltrim({line}, '0'), ''), '0')::bigint END AS line,
                    {cell("partner_code")} AS partner_code, p.id AS partner_id,
                    p.currency::text AS pcur, {_places(cell("currency"))} AS places,
                    {_places("p.currency")} AS pplaces, x.rate, x.date AS rate_date,
                    {cell("sku")} AS sku, pr.id AS product_id, pr.sku AS prsku,
                    pr.currency::text AS prcur,
                    {cell("invoice_date")} AS dtext, d.d AS invoice_date,
                    {cell("quantity")} AS qtext,
                    CASE WHEN {cell("quantity")} ~ {_literal(PLAIN)}
                        THEN {cell("quantity")}::numeric END AS quantity,
                    {cell("unit_net_price")} AS ptext,
                    CASE WHEN {cell("unit_net_price")} ~ {_literal(PLAIN)}
                        THEN {cell("unit_net_price")}::numeric END AS price,
                    {cell("currency")} AS currency
                FROM import_stage s
                LEFT JOIN import_partner p ON p.code = {cell("partner_code")}
                LEFT JOIN agreements_product pr ON pr.sku = {cell("sku")}
                LEFT JOIN import_day d ON d.txt = {cell("invoice_date")}
                -- A line in another currency: the latest rate into the partner's currency on
                -- or before its date (a line in its partner's currency reads nothing).
                LEFT JOIN LATERAL (
                    SELECT r.rate, r.date FROM commissions_exchangerate r
                    WHERE {cell("currency")} <> p.currency
                        AND r.from_currency = {cell("currency")}
                        AND r.to_currency = p.currency AND r.date <= d.d
                    ORDER BY r.date DESC LIMIT 1
                ) x ON true
                WHERE NOT ({blank}) AND NOT ({long_number})
                    AND s.n NOT IN (SELECT n FROM import_escape)
                OFFSET 0
            ) c;
            ANALYZE import_checked;
            SELECT EXISTS (SELECT 1 FROM import_escape);
            """,  # noqa: S608
            [*partner_params, self.earliest, self.latest],
        )
        if self.cursor.fetchone()[0]:
            self._check_escapes()

    def _check_escapes(self) -> None:
        """The rows the Python checker checks: its verdicts join the others."""
        from .purchases import _RowChecker

        header = self.staged.header
        checker = _RowChecker(partners=self.partners, today=self.today)
        currencies = {partner.pk: partner.currency for partner in checker.partners.values()}
        columns = ", ".join(f"s.f{i + 1}" for i in range(len(header)))
        self.cursor.execute(
            f"SELECT s.n, {columns} FROM import_stage s "  # noqa: S608
            "WHERE s.n IN (SELECT n FROM import_escape) ORDER BY s.n"
        )
        good, bad = [], []
        for n, *cells in self.cursor.fetchall():
            values, problem = checker.check_row(n, list(cells), self.staged.columns)
            if problem is not None:
                bad.append((n, problem.column, problem.reason))
                continue
            # The invoice's own price and currency, as the staged rows hold them.
            converted = bool(values.get("original_currency"))
            partner_currency = currencies[values["partner_id"]]
            good.append(
                (
                    n,
                    values["invoice_number"],
                    values["line"],
                    values["partner_id"],
                    values["product_id"],
                    values["invoice_date"],
                    values["quantity"],
                    values["original_unit_net_price"] if converted else values["unit_net_price"],
                    values["original_currency"] if converted else values["currency"],
                    partner_currency,
                    minor_unit(partner_currency),
                    values.get("exchange_rate"),
                    values.get("rate_date"),
                )
            )
        if good:
            execute_values(
                self.cursor.cursor,
                "INSERT INTO import_checked (n, inv, line, partner_id, product_id, invoice_date, "
                "quantity, price, currency, pcur, pplaces, rate, rate_date, code) VALUES %s",
                good,
                template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0)",
            )
        if bad:
            execute_values(self.cursor.cursor, "INSERT INTO import_rejected VALUES %s", bad)

    def _check_file(self) -> None:
        """Row rejections; then a line met earlier in the file; then lines already imported
        (the same figures: a duplicate; other figures: rejected)."""
        from .purchases import INVOICE_LENGTH, MAX_PRICE, MAX_QUANTITY

        columns = {
            1: "invoice_number",
            2: "invoice_number",
            3: "line",
            4: "partner_code",
            5: "sku",
            6: "invoice_date",
            7: "quantity",
            8: "currency",
            9: "currency",
            10: "unit_net_price",
        }
        reasons = {
            1: "'required'",
            2: f"'longer than {INVOICE_LENGTH}'",
            3: f"{_pyrepr('left(c.ltext, 40)')} || ' is not a line number'",
            4: f"'unknown partner ' || {_pyrepr('left(c.partner_code, 40)')}",
            5: f"'unknown SKU ' || {_pyrepr('left(c.sku, 40)')}",
            6: _date_reason(self.earliest, self.latest),
            7: _number_reason("c.qtext", "c.quantity", "2", MAX_QUANTITY, zero_ok=False),
            8: f"CASE WHEN c.currency IN ({KNOWN}) "
            "THEN 'no ' || c.currency || '→' || c.pcur || ' rate on or before ' || c.dtext "
            f"ELSE {_pyrepr('left(c.currency, 8)')} || ' is not the partner''s currency (' "
            "|| c.pcur || ')' END",
            9: "c.prsku || ' is priced in ' || c.prcur",
            10: _number_reason("c.ptext", "c.price", "c.places", MAX_PRICE, zero_ok=True),
        }
        column = "CASE c.code " + " ".join(f"WHEN {n} THEN '{col}'" for n, col in columns.items())
        reason = "CASE c.code " + " ".join(f"WHEN {n} THEN {r}" for n, r in reasons.items())
        table = PurchaseInvoiceLine._meta.db_table
        self.cursor.execute(
            f"""
            INSERT INTO import_rejected
                SELECT c.n, {column} END, {reason} END FROM import_checked c WHERE c.code > 0;
            CREATE TEMP TABLE import_repeat AS
            SELECT n, first FROM (
                SELECT n, min(n) OVER (PARTITION BY inv, line) AS first
                FROM import_checked WHERE code = 0 AND (inv, line) IN (
                    SELECT inv, line FROM import_checked WHERE code = 0
                    GROUP BY inv, line HAVING count(*) > 1
                )
            ) later WHERE n > first;
            UPDATE import_checked c SET code = -1 FROM import_repeat r WHERE c.n = r.n;
            INSERT INTO import_rejected
                SELECT c.n, 'line', 'invoice ' || c.inv || ' line ' || c.line
                    || ' repeats row ' || r.first
                FROM import_checked c JOIN import_repeat r ON r.n = c.n;
            -- The same line again when the invoice's own figures are, whatever rate converted it.
            UPDATE import_checked c SET code = CASE
                WHEN (l.partner_id, l.product_id, l.invoice_date, l.quantity,
                      coalesce(l.original_unit_net_price, l.unit_net_price),
                      coalesce(nullif(l.original_currency, ''), l.currency)::text)
                    = (c.partner_id, c.product_id, c.invoice_date, c.quantity, c.price, c.currency)
                THEN -2 ELSE -3 END
            FROM {table} l
            WHERE l.invoice_number = c.inv AND l.line = c.line AND c.code = 0;
            INSERT INTO import_rejected
                SELECT n, 'line', 'invoice ' || inv || ' line ' || line
                    || ' was imported before with other figures'
                FROM import_checked WHERE code = -3;
            SELECT count(*) FILTER (WHERE code = -2), count(*) FILTER (WHERE code = 0)
            FROM import_checked;
            """  # noqa: S608
        )
        self.duplicates, self.wanted = self.cursor.fetchone()

    def _insert(self) -> None:
        """Insert the good rows in file order; a line another import stored meanwhile is
        skipped and counted as a duplicate."""
        table = PurchaseInvoiceLine._meta.db_table
        insert = f"""
            INSERT INTO {table} (invoice_number, line, partner_id, product_id, invoice_date,
                quantity, unit_net_price, currency, original_currency, original_unit_net_price,
                exchange_rate, rate_date, batch_id)
            SELECT c.inv, c.line, c.partner_id, c.product_id, c.invoice_date, c.quantity,
                {CONVERTED}, %s
            FROM import_checked c WHERE c.code = 0 ORDER BY c.n
        """  # noqa: S608
        try:
            # The rows were checked against the table a moment ago: straight in, without the
            # cost of a speculative insertion per row.
            with transaction.atomic():
                self.cursor.execute(insert, [self.batch.pk])
            self.created = self.wanted
            return
        except IntegrityError:
            pass  # another import stored some of these lines meanwhile
        self.cursor.execute(
            insert + " ON CONFLICT (invoice_number, line) DO NOTHING", [self.batch.pk]
        )
        self.created = self.cursor.rowcount
        self.duplicates += self.wanted - self.created

    def _reject(self) -> None:
        self.cursor.execute(
            f"""
            INSERT INTO import_rejected SELECT p.n, p.col, p.reason FROM import_problem p;
            INSERT INTO {PurchaseRejection._meta.db_table} (batch_id, row_number, "column", reason)
                SELECT %s, n, col, left(reason, 255) FROM import_rejected ORDER BY n;
            SELECT n, col, reason FROM import_rejected ORDER BY n;
            """,  # noqa: S608
            [self.batch.pk],
        )
        self.rejected = [Rejected(n, column, reason) for n, column, reason in self.cursor]
