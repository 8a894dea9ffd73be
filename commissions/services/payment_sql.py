"""The payments import on PostgreSQL: the file is streamed into the sales import's staging table
(`import_stream.Stager`, with the payments file's rules for its header, ragged rows and bad
characters), then checked set-based with the same checks, reasons, columns and order as
`payments._check_row` and `payments._resolve`: each row on its own, then its sale (unknown or
not visible, a return, an amount finer than the sale's currency), then the lines repeated in the
file and those already imported (duplicates). Good rows go in with INSERT ... SELECT, the paid
days of their sales are refreshed set-based, and the periods that moves are recomputed.

Rows are numbered by the file's last physical line, as the Python checker numbers them: records
that span several lines are noted while staging.

The rare rows whose rejection would quote a date that is not plain ASCII (Python's repr()
decides those), amounts too long to cast safely and amounts so small that Python writes them in
exponent notation are checked by the Python checker itself.

The statements are built from column positions and constants only (the S608 exemptions below);
the file's cells reach PostgreSQL as COPY data or as parameters, never as SQL text."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from typing import IO

from django.db import IntegrityError, transaction
from psycopg2.extras import execute_values

from ..models import Payment, SalePaid
from .import_checks import ImportFileError, Rejected, _character_problem
from .import_sql import GROUPED, ISO_DATE, PLAIN, _literal, _places, _pyrepr
from .import_stream import Staged, StagedImport, Stager

# An amount longer than this is checked by the Python checker: a cast of a huge one could fail.
LONGEST_NUMBER = 40
# Python writes a Decimal below this in exponent notation (1E-7) in the reason that quotes it.
SMALLEST_PLAIN = "0.000001"
TEMP_TABLES = (
    "import_stage",
    "import_problem",
    "import_escape",
    "import_span",
    "import_partner",
    "import_day",
    "import_extra",
    "import_checked",
    "import_rejected",
    "import_paid_sale",
    "import_paid_before",
    "import_paid_after",
)


class PaymentStager(Stager):
    """The staging pass with the payments file's rules: its own header check; a record whose
    number of fields is not the header's is rejected as `row`; a bad character counts only in
    a known column, looked for before the cell is stripped. Records spanning several lines are
    noted, for the row numbers."""

    python_cells = ("paid_date",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.spans: list[tuple[int, int]] = []
        self.current = 0

    def check_header(self, header: list[str]) -> dict[str, int]:
        from .payments import _check_header

        return _check_header(header)

    def fit(self, n: int, cells: list[str], lines: int) -> list[str] | None:
        self.problems.append(
            (
                n,
                len(cells),
                lines,
                "row",
                f"row has {len(cells)} fields, the header has {self.width}",
            )
        )
        return None

    def character_problem(self, row: list[str], staged: Staged) -> tuple[str, str] | None:
        from .payments import COLUMNS

        for name in COLUMNS:
            problem = _character_problem(row[staged.columns[name]])
            if problem is not None:
                return name, problem
        return None

    def _create_tables(self) -> None:
        super()._create_tables()
        self.cursor.execute(
            "DROP TABLE IF EXISTS import_span; "
            "CREATE TEMP TABLE import_span (n integer, lines integer)"
        )

    def _record(self) -> tuple[list[str], int]:
        row, lines = super()._record()
        if lines > 1 and self.current:
            self.spans.append((self.current, lines))
        return row, lines

    def _slow(self, n: int, staged: Staged) -> None:
        self.current = n
        try:
            super()._slow(n, staged)
        finally:
            self.current = 0

    def _flush(self, n: int) -> None:
        if self.spans:
            execute_values(self.cursor.cursor, "INSERT INTO import_span VALUES %s", self.spans)
            self.spans.clear()
        super()._flush(n)


def _amount_reason() -> str:
    """The reason of `payments._amount` for a rejected amount."""
    from .payments import LIMIT

    return f"""CASE
        WHEN c.atext = '' THEN 'required'
        WHEN c.amount IS NULL THEN CASE
            WHEN c.atext ~ {_literal(GROUPED)} THEN c.atext || ' has thousands separators; write '
                || replace(c.atext, ',', '')
            ELSE left(c.atext, 40) || ' is not a number' END
        WHEN c.amount < 0 THEN c.atext || ' is negative; a payment is a positive amount'
        WHEN c.amount = 0 THEN 'must be greater than zero'
        ELSE {_literal(f"too large (at most {LIMIT:,})")} END"""


def _checks(today: dt.date) -> list[tuple[int, str, str, str]]:
    """(code, column, condition, reason) of each check, in the Python checker's order."""
    from .payments import LIMIT

    places = _places("c.currency")
    return [
        (1, "external_id", "c.ext = ''", "'required'"),
        (2, "external_id", "char_length(c.ext) > 64", "'longer than 64 characters'"),
        (
            3,
            "paid_date",
            "c.paid_date IS NULL",
            "CASE WHEN c.dtext = '' THEN 'required' ELSE "
            f"{_pyrepr('left(c.dtext, 40)')} || ' is not a date (YYYY-MM-DD)' END",
        ),
        (
            4,
            "paid_date",
            f"c.paid_date > DATE '{today.isoformat()}'",
            "c.dtext || ' is in the future'",
        ),
        (
            5,
            "amount",
            f"NOT coalesce(c.amount > 0 AND c.amount <= {LIMIT}, false)",
            _amount_reason(),
        ),
        # The sale: unknown, or of a partner the importer may not see, is the same answer.
        (
            6,
            "external_id",
            "c.sale_id IS NULL OR NOT c.visible",
            "'no sale ' || c.ext || ' (import the sale first)'",
        ),
        (7, "external_id", "c.kind <> 'sale'", "c.ext || ' is a return; payments are for sales'"),
        (
            8,
            "amount",
            f"scale(c.amount) > {places}",
            f"coalesce(c.shown, c.amount::text) || ' has more than ' || {places} "
            f"|| ' decimals (' || c.currency || ' has ' || {places} || ')'",
        ),
    ]


class PaymentSqlImport(StagedImport):
    """One payments import on one PostgreSQL connection."""

    steps = ("_check_rows", "_check_file", "_insert", "_refresh", "_reject")
    temp_tables = TEMP_TABLES

    def __init__(self, *, batch, partners, today: dt.date, progress=None) -> None:
        super().__init__(batch=batch, partners=partners, today=today, progress=progress)
        self.moved: dict[str, set[int]] = defaultdict(set)
        self.sha256 = ""

    def stage(self, handle: IO[bytes], size: int | None) -> Staged:
        """A file refused while staged still gets its checksum, read from the rest of it."""
        stager = PaymentStager(self.cursor, handle, progress=self.progress, size=size)
        try:
            staged = stager.run()
        except ImportFileError:
            self.sha256 = _hash_rest(handle, stager.digest)
            raise
        self.sha256 = staged.sha256
        return staged

    # Each row on its own, then its sale ---------------------------------------------------------
    def _check_rows(self) -> None:
        cell = self._cell
        ext, paid, amount = cell("external_id"), cell("paid_date"), cell("amount")
        partners_sql, partner_params = self.partners.values_list("pk").query.sql_with_params()
        blank = " AND ".join(f"s.f{i + 1} = ''" for i in range(len(self.staged.header)))
        self.cursor.execute(
            f"""
            SET LOCAL work_mem = '256MB';
            SET LOCAL jit = off;
            SET LOCAL enable_mergejoin = off;
            ANALYZE import_stage;
            CREATE TEMP TABLE import_rejected (n integer, col text, reason text);
            CREATE TEMP TABLE import_partner (id) AS {partners_sql};
            CREATE TEMP TABLE import_extra (n integer, ext text, dtext text, paid_date date,
                atext text, amount numeric, shown text);
            ANALYZE import_partner;
            INSERT INTO import_escape
                SELECT s.n FROM import_stage s WHERE NOT ({blank}) AND CASE
                    WHEN char_length({amount}) > {LONGEST_NUMBER} THEN true
                    WHEN {amount} ~ {_literal(PLAIN)}
                        THEN {amount}::numeric > 0 AND {amount}::numeric < {SMALLEST_PLAIN}
                    ELSE false END;
            SELECT EXISTS (SELECT 1 FROM import_escape);
            """,  # noqa: S608
            partner_params,
        )
        if self.cursor.fetchone()[0]:
            self._check_escapes()
        year, month, day = (
            "substr(txt, 1, 4)::int",
            "substr(txt, 6, 2)::int",
            "substr(txt, 9, 2)::int",
        )
        checks = _checks(self.today)
        code = " ".join(f"WHEN {condition} THEN {number}" for number, _, condition, _ in checks)
        column = "CASE c.code " + " ".join(f"WHEN {n} THEN '{col}'" for n, col, _, _ in checks)
        reason = "CASE c.code " + " ".join(f"WHEN {n} THEN {r}" for n, _, _, r in checks)
        self.cursor.execute(
            f"""
            -- Each distinct date text is parsed once; a text that is no date has no row here.
            CREATE TEMP TABLE import_day AS
            SELECT txt, d FROM (
                SELECT txt, CASE
                    WHEN {year} < 1 OR {month} NOT BETWEEN 1 AND 12 OR {day} < 1 THEN NULL
                    WHEN {day} > extract(day FROM make_date({year}, {month}, 1)
                        + interval '1 month' - interval '1 day') THEN NULL
                    ELSE make_date({year}, {month}, {day}) END AS d
                FROM (SELECT DISTINCT {paid} AS txt FROM import_stage s
                      WHERE {paid} ~ {_literal(ISO_DATE)}) texts
            ) days WHERE d IS NOT NULL;
            ANALYZE import_day;
            CREATE TEMP TABLE import_checked AS
            SELECT c.*, CASE {code} ELSE 0 END AS code FROM (
                SELECT r.*, sa.id AS sale_id, sa.kind, sa.currency::text AS currency,
                    p.id IS NOT NULL AS visible
                FROM (
                    SELECT s.n, {ext} AS ext, {paid} AS dtext, d.d AS paid_date,
                        {amount} AS atext,
                        CASE WHEN {amount} ~ {_literal(PLAIN)} THEN {amount}::numeric END AS amount,
                        NULL::text AS shown
                    FROM import_stage s
                    LEFT JOIN import_day d ON d.txt = {paid}
                    WHERE NOT ({blank}) AND s.n NOT IN (SELECT n FROM import_escape)
                    UNION ALL
                    SELECT n, ext, dtext, paid_date, atext, amount, shown FROM import_extra
                ) r
                LEFT JOIN commissions_sale sa ON sa.external_id = r.ext
                LEFT JOIN import_partner p ON p.id = sa.partner_id
                OFFSET 0  -- each cell is cast once, not once per check that reads it
            ) c;
            INSERT INTO import_rejected
                SELECT c.n, {column} END, {reason} END FROM import_checked c WHERE c.code > 0;
            ANALYZE import_checked;
            """  # noqa: S608
        )

    def _check_escapes(self) -> None:
        """The rows the Python checker checks on their own: its verdicts join the others."""
        from .payments import _check_row

        header = self.staged.header
        columns = ", ".join(f"s.f{i + 1}" for i in range(len(header)))
        self.cursor.execute(
            f"SELECT s.n, {columns} FROM import_stage s "  # noqa: S608
            "WHERE s.n IN (SELECT n FROM import_escape) ORDER BY s.n"
        )
        positions = self.staged.columns
        good, bad = [], []
        for n, *cells in self.cursor.fetchall():
            checked = _check_row(list(cells), len(header), positions, self.today)
            if isinstance(checked, Rejected):
                bad.append((n, checked.column, checked.reason))
            elif checked is not None:
                good.append(
                    (
                        n,
                        checked.external_id,
                        cells[positions["paid_date"]],
                        checked.paid_date,
                        cells[positions["amount"]],
                        checked.amount,
                        str(checked.amount),
                    )
                )
        if good:
            execute_values(self.cursor.cursor, "INSERT INTO import_extra VALUES %s", good)
        if bad:
            execute_values(self.cursor.cursor, "INSERT INTO import_rejected VALUES %s", bad)

    # The file as a whole --------------------------------------------------------------------
    def _check_file(self) -> None:
        """A line met earlier in the file, then a line already imported: duplicates."""
        table = Payment._meta.db_table
        self.cursor.execute(
            f"""
            UPDATE import_checked SET code = -1 WHERE n IN (
                SELECT n FROM (
                    SELECT n, row_number() OVER (
                        PARTITION BY sale_id, paid_date, amount ORDER BY n) AS r
                    FROM import_checked WHERE code = 0 AND (sale_id, paid_date, amount) IN (
                        SELECT sale_id, paid_date, amount FROM import_checked WHERE code = 0
                        GROUP BY sale_id, paid_date, amount HAVING count(*) > 1
                    )
                ) later WHERE r > 1
            );
            UPDATE import_checked c SET code = -2 FROM {table} p
                WHERE p.sale_id = c.sale_id AND p.paid_date = c.paid_date
                    AND p.amount = c.amount AND c.code = 0;
            SELECT count(*) FILTER (WHERE code IN (-1, -2)), count(*) FILTER (WHERE code = 0),
                count(*) FILTER (WHERE code IN (0, -2))
            FROM import_checked;
            """  # noqa: S608
        )
        self.duplicates, self.wanted, self.touched = self.cursor.fetchone()

    def _insert(self) -> None:
        """Insert the new payments in file order; a line another import stored meanwhile is
        skipped and counted as a duplicate."""
        if not self.wanted:
            return
        table = Payment._meta.db_table
        insert = f"""
            INSERT INTO {table} (sale_id, paid_date, amount, batch_id, created_at)
            SELECT sale_id, paid_date, amount, %s, now()
            FROM import_checked WHERE code = 0 ORDER BY n
        """  # noqa: S608
        try:
            # The lines were checked against the table a moment ago: straight in, without the
            # cost of a speculative insertion per row.
            with transaction.atomic():
                self.cursor.execute(insert, [self.batch.pk])
            self.created = self.wanted
            return
        except IntegrityError:
            pass  # another import stored some of these lines meanwhile
        self.cursor.execute(
            insert + " ON CONFLICT (sale_id, paid_date, amount) DO NOTHING", [self.batch.pk]
        )
        self.created = self.cursor.rowcount
        self.duplicates += self.wanted - self.created

    def _refresh(self) -> None:
        """The day each touched sale was paid in full, as `payments.sale_paid_refresh` computes
        it, set-based: only the rows that change are written; the months a sale moved out of
        or into are noted with its partner."""
        if not self.touched:
            return
        payment, paid = Payment._meta.db_table, SalePaid._meta.db_table
        self.cursor.execute(
            f"""
            CREATE TEMP TABLE import_paid_sale AS
                SELECT DISTINCT sale_id FROM import_checked WHERE code IN (0, -1, -2);
            ANALYZE import_paid_sale;
            CREATE TEMP TABLE import_paid_before AS
                SELECT sp.sale_id, sp.paid_on FROM {paid} sp
                WHERE sp.sale_id IN (SELECT sale_id FROM import_paid_sale);
            CREATE TEMP TABLE import_paid_after AS
            SELECT sale_id, partner_id, MIN(paid_date) AS paid_on FROM (
                SELECT p.sale_id, s.partner_id, p.paid_date, s.net_amount,
                    SUM(p.amount) OVER (PARTITION BY p.sale_id ORDER BY p.paid_date) AS paid
                FROM {payment} p JOIN commissions_sale s ON s.id = p.sale_id
                WHERE p.sale_id IN (SELECT sale_id FROM import_paid_sale)
            ) running
            WHERE paid >= net_amount
            GROUP BY sale_id, partner_id;
            DELETE FROM {paid} sp USING import_paid_before b
                WHERE sp.sale_id = b.sale_id AND NOT EXISTS (
                    SELECT 1 FROM import_paid_after a
                    WHERE a.sale_id = b.sale_id AND a.paid_on = b.paid_on
                );
            INSERT INTO {paid} (sale_id, partner_id, paid_on)
                SELECT a.sale_id, a.partner_id, a.paid_on FROM import_paid_after a
                WHERE NOT EXISTS (SELECT 1 FROM {paid} sp WHERE sp.sale_id = a.sale_id);
            SELECT DISTINCT to_char(moved.day, 'YYYY-MM'), s.partner_id FROM (
                SELECT coalesce(b.sale_id, a.sale_id) AS sale_id, b.paid_on AS old,
                    a.paid_on AS new
                FROM import_paid_before b FULL JOIN import_paid_after a ON a.sale_id = b.sale_id
                WHERE b.paid_on IS DISTINCT FROM a.paid_on
            ) changed
            CROSS JOIN LATERAL (VALUES (changed.old), (changed.new)) AS moved (day)
            JOIN commissions_sale s ON s.id = changed.sale_id
            WHERE moved.day IS NOT NULL;
            """  # noqa: S608
        )
        for month, partner_id in self.cursor.fetchall():
            self.moved[month].add(partner_id)

    def _reject(self) -> None:
        """Every rejection with its row number: the file's last physical line of the record."""
        self.cursor.execute(
            """
            INSERT INTO import_rejected SELECT p.n, p.col, p.reason FROM import_problem p;
            -- A record's number plus the extra lines of the records up to it, itself included.
            SELECT row, col, reason FROM (
                SELECT kind, col, reason,
                    n + sum(extra) OVER (ORDER BY n, kind ROWS UNBOUNDED PRECEDING) AS row
                FROM (
                    SELECT n, 0 AS kind, lines - 1 AS extra, NULL AS col, NULL AS reason
                    FROM import_span
                    UNION ALL
                    SELECT n, 1, 0, col, reason FROM import_rejected
                ) numbered
            ) rows WHERE kind = 1 ORDER BY row;
            """
        )
        self.rejected = [Rejected(int(row), column, reason) for row, column, reason in self.cursor]


def _hash_rest(handle: IO[bytes], digest) -> str:
    """The file's SHA-256 once a file error stopped the pass: the rest is read and hashed."""
    from .import_stream import BLOCK

    with contextlib.suppress(OSError, ValueError):
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()
