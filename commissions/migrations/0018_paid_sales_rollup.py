"""The paid sales rollup: sums of the sales lines that count on payment, per day they count.

Under a plan that accrues on payment a sale counts on the day its payments first reach its net
amount (`commissions_salepaid`; a sale of 0 on its invoice date) and a return on the later of
its own date and that day of its original sale. A recompute read those lines joined to their
payments and originals; it now reads these sums, as it reads `commissions_salesrollup` for the
plans that accrue on invoice.

Triggers keep the sums on every insert, update and delete of a sale or of a paid day, and the
table is filled from the data already there. PostgreSQL: statement-level triggers with
transition tables, one set-based statement each. SQLite: row-level triggers (the embedded demo).
A sale just inserted has no paid day yet (paid days are derived from the payments of existing
sales), so the insert trigger looks up the paid days of returns' originals only."""

from django.db import migrations, models

TABLE = "commissions_paidsalesrollup"
KEY = "counted_on, partner_id, product_id, kind, invoice_date, original_date"
COLUMNS = f"{KEY}, volume_cents, quantity_hundredths, line_count"


def _no_original(postgres: bool) -> str:
    return "DATE '1900-01-01'" if postgres else "'1900-01-01'"


def _apply(source: str, *, sign: str, postgres: bool) -> str:
    """Add (`sign` "") or take away (`sign` "-") the lines `source` yields (counted_on,
    partner_id, product_id, kind, invoice_date, original_date, net_amount, quantity; a line
    whose counted_on is NULL does not count) to their sums."""
    if postgres:
        cents, hundredths = "ROUND(l.net_amount * 100)", "ROUND(l.quantity * 100)"
        sums = f"{sign}SUM({cents})::bigint, {sign}SUM({hundredths})::bigint, {sign}COUNT(*)"
    else:
        cents = "CAST(ROUND(l.net_amount * 100) AS INTEGER)"
        hundredths = "CAST(ROUND(l.quantity * 100) AS INTEGER)"
        sums = f"{sign}SUM({cents}), {sign}SUM({hundredths}), {sign}COUNT(*)"
    return f"""
        INSERT INTO {TABLE} ({COLUMNS})
        SELECT l.counted_on, l.partner_id, l.product_id, l.kind, l.invoice_date, l.original_date,
               {sums}
        FROM ({source}) l
        WHERE l.counted_on IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ({KEY}) DO UPDATE SET
            volume_cents = {TABLE}.volume_cents + excluded.volume_cents,
            quantity_hundredths = {TABLE}.quantity_hundredths + excluded.quantity_hundredths,
            line_count = {TABLE}.line_count + excluded.line_count;
    """


def _lines(rows: str, *, postgres: bool, new: bool = False, old: str | None = None) -> str:
    """The counting day of each sales line of `rows` (aliased x). The original sale and the
    paid day are looked up by index, a line at a time and for the lines that need them only (a
    join would hash the whole sales table for a bulk import). `new`: rows just inserted, whose
    own paid day cannot exist yet (only returns and sales of 0 are looked at). `old`: the
    transition table of the same statement, whose values of an original sale win over the
    table's (it was changed or deleted by the statement)."""

    def original(column: str) -> str:
        found = f"(SELECT o.{column} FROM commissions_sale o WHERE o.id = x.original_id)"
        if old:
            found = f"COALESCE(oo.{column}, {found})"
        return f"CASE WHEN x.original_id IS NULL THEN NULL ELSE {found} END"

    if new:
        paid_of = "CASE WHEN x.original_id IS NULL THEN NULL ELSE x.original_id END"
        where = "WHERE x.original_id IS NOT NULL OR x.net_amount = 0"
    else:
        paid_of, where = "COALESCE(x.original_id, x.id)", ""
    old_join = f"LEFT JOIN {old} oo ON oo.id = x.original_id" if old else ""
    # OFFSET 0 keeps PostgreSQL from copying each look-up into every expression that reads it.
    fence = "OFFSET 0" if postgres else ""
    paid = (
        "(CASE WHEN COALESCE(y.o_amount, y.net_amount) = 0 "
        "THEN COALESCE(y.o_date, y.invoice_date) ELSE y.paid_on END)"
    )
    counted = (
        f"CASE WHEN {paid} IS NULL THEN NULL WHEN y.original_id IS NULL THEN {paid} "
        f"WHEN {paid} > y.invoice_date THEN {paid} ELSE y.invoice_date END"
    )
    return f"""
        SELECT {counted} AS counted_on, y.partner_id, y.product_id, y.kind, y.invoice_date,
               COALESCE(y.o_date, {_no_original(postgres)}) AS original_date,
               y.net_amount, y.quantity
        FROM (
            SELECT x.partner_id, x.product_id, x.kind, x.invoice_date, x.original_id,
                   x.net_amount, x.quantity,
                   {original("net_amount")} AS o_amount,
                   {original("invoice_date")} AS o_date,
                   (SELECT sp.paid_on FROM commissions_salepaid sp
                    WHERE sp.sale_id = {paid_of}) AS paid_on
            FROM {rows} x
            {old_join}
            {where}
            {fence}
        ) y
    """


def _paid_lines(rows: str, *, postgres: bool) -> str:
    """The lines that count on the paid days of `rows` (aliased p): each sale (not of 0) and
    its returns."""
    return f"""
        SELECT p.paid_on AS counted_on, s.partner_id, s.product_id, s.kind, s.invoice_date,
               {_no_original(postgres)} AS original_date, s.net_amount, s.quantity
        FROM {rows} p JOIN commissions_sale s ON s.id = p.sale_id
        WHERE s.kind = 'sale' AND s.net_amount <> 0
        UNION ALL
        SELECT CASE WHEN p.paid_on > r.invoice_date THEN p.paid_on ELSE r.invoice_date END,
               r.partner_id, r.product_id, r.kind, r.invoice_date, s.invoice_date,
               r.net_amount, r.quantity
        FROM {rows} p JOIN commissions_sale s ON s.id = p.sale_id
        JOIN commissions_sale r ON r.original_id = s.id
        WHERE s.kind = 'sale' AND s.net_amount <> 0
    """


def _pg_function(name: str, body: str) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
        {body}
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """


def _pg_trigger(name: str, op: str, table: str, referencing: str, function: str) -> str:
    return f"""
    CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}()
    """


PG = {"postgres": True}
# Every line of the sales table as it stands: the sums of the data already there.
POSTGRES_FILL = _apply(_lines("commissions_sale", **PG), sign="", **PG)
POSTGRES_FORWARD = [
    _pg_function(
        "commissions_paid_rollup_sale_insert",
        _apply(_lines("paid_rollup_new", new=True, **PG), sign="", **PG),
    ),
    _pg_function(
        "commissions_paid_rollup_sale_delete",
        _apply(_lines("paid_rollup_old", old="paid_rollup_old", **PG), sign="-", **PG),
    ),
    _pg_function(
        "commissions_paid_rollup_sale_update",
        _apply(_lines("paid_rollup_old", old="paid_rollup_old", **PG), sign="-", **PG)
        + _apply(_lines("paid_rollup_new", **PG), sign="", **PG),
    ),
    _pg_function(
        "commissions_paid_rollup_paid_insert",
        _apply(_paid_lines("paid_rollup_new", **PG), sign="", **PG),
    ),
    _pg_function(
        "commissions_paid_rollup_paid_delete",
        _apply(_paid_lines("paid_rollup_old", **PG), sign="-", **PG),
    ),
    _pg_function(
        "commissions_paid_rollup_paid_update",
        _apply(_paid_lines("paid_rollup_old", **PG), sign="-", **PG)
        + _apply(_paid_lines("paid_rollup_new", **PG), sign="", **PG),
    ),
    _pg_trigger(
        "commissions_sale_paid_rollup_insert",
        "INSERT",
        "commissions_sale",
        "NEW TABLE AS paid_rollup_new",
        "commissions_paid_rollup_sale_insert",
    ),
    _pg_trigger(
        "commissions_sale_paid_rollup_delete",
        "DELETE",
        "commissions_sale",
        "OLD TABLE AS paid_rollup_old",
        "commissions_paid_rollup_sale_delete",
    ),
    _pg_trigger(
        "commissions_sale_paid_rollup_update",
        "UPDATE",
        "commissions_sale",
        "OLD TABLE AS paid_rollup_old NEW TABLE AS paid_rollup_new",
        "commissions_paid_rollup_sale_update",
    ),
    _pg_trigger(
        "commissions_salepaid_rollup_insert",
        "INSERT",
        "commissions_salepaid",
        "NEW TABLE AS paid_rollup_new",
        "commissions_paid_rollup_paid_insert",
    ),
    _pg_trigger(
        "commissions_salepaid_rollup_delete",
        "DELETE",
        "commissions_salepaid",
        "OLD TABLE AS paid_rollup_old",
        "commissions_paid_rollup_paid_delete",
    ),
    _pg_trigger(
        "commissions_salepaid_rollup_update",
        "UPDATE",
        "commissions_salepaid",
        "OLD TABLE AS paid_rollup_old NEW TABLE AS paid_rollup_new",
        "commissions_paid_rollup_paid_update",
    ),
    POSTGRES_FILL,
    f"ANALYZE {TABLE}",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_sale_paid_rollup_insert ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_paid_rollup_delete ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_paid_rollup_update ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_salepaid_rollup_insert ON commissions_salepaid",
    "DROP TRIGGER IF EXISTS commissions_salepaid_rollup_delete ON commissions_salepaid",
    "DROP TRIGGER IF EXISTS commissions_salepaid_rollup_update ON commissions_salepaid",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_sale_insert()",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_sale_delete()",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_sale_update()",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_paid_insert()",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_paid_delete()",
    "DROP FUNCTION IF EXISTS commissions_paid_rollup_paid_update()",
]

SALE_COLUMNS = ("id", "partner_id", "product_id", "kind", "invoice_date", "net_amount", "quantity")


def _sqlite_row(row: str, columns: tuple[str, ...]) -> str:
    """A row-level trigger's NEW or OLD row as a one-row table."""
    return "(SELECT " + ", ".join(f"{row}.{c} AS {c}" for c in columns) + ")"


def _sqlite_sale(row: str) -> str:
    return _sqlite_row(row, (*SALE_COLUMNS, "original_id"))


def _sqlite_paid(row: str) -> str:
    return _sqlite_row(row, ("sale_id", "paid_on"))


SQ = {"postgres": False}
SQLITE_FILL = _apply(_lines("commissions_sale", **SQ), sign="", **SQ)
SQLITE_TRIGGERS = {
    "commissions_sale_paid_rollup_insert": (
        "AFTER INSERT ON commissions_sale",
        _apply(_lines(_sqlite_sale("NEW"), new=True, **SQ), sign="", **SQ),
    ),
    "commissions_sale_paid_rollup_delete": (
        "AFTER DELETE ON commissions_sale",
        _apply(_lines(_sqlite_sale("OLD"), **SQ), sign="-", **SQ),
    ),
    "commissions_sale_paid_rollup_update": (
        "AFTER UPDATE ON commissions_sale",
        _apply(_lines(_sqlite_sale("OLD"), **SQ), sign="-", **SQ)
        + _apply(_lines(_sqlite_sale("NEW"), **SQ), sign="", **SQ),
    ),
    "commissions_salepaid_rollup_insert": (
        "AFTER INSERT ON commissions_salepaid",
        _apply(_paid_lines(_sqlite_paid("NEW"), **SQ), sign="", **SQ),
    ),
    "commissions_salepaid_rollup_delete": (
        "AFTER DELETE ON commissions_salepaid",
        _apply(_paid_lines(_sqlite_paid("OLD"), **SQ), sign="-", **SQ),
    ),
    "commissions_salepaid_rollup_update": (
        "AFTER UPDATE ON commissions_salepaid",
        _apply(_paid_lines(_sqlite_paid("OLD"), **SQ), sign="-", **SQ)
        + _apply(_paid_lines(_sqlite_paid("NEW"), **SQ), sign="", **SQ),
    ),
}
SQLITE_FORWARD = [
    *(
        f"CREATE TRIGGER {name} {event} FOR EACH ROW BEGIN {body} END"
        for name, (event, body) in SQLITE_TRIGGERS.items()
    ),
    SQLITE_FILL,
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]


def forward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_BACKWARD if postgres else SQLITE_BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0017_carry_forward_and_payments"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaidSalesRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("partner_id", models.BigIntegerField()),
                ("product_id", models.BigIntegerField()),
                ("kind", models.CharField(max_length=8)),
                ("invoice_date", models.DateField()),
                (
                    "original_date",
                    models.DateField(help_text="The original sale's date for a return."),
                ),
                (
                    "counted_on",
                    models.DateField(help_text="The day the line counts when accruing on payment."),
                ),
                ("volume_cents", models.BigIntegerField(default=0)),
                ("quantity_hundredths", models.BigIntegerField(default=0)),
                ("line_count", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "paid sales rollup",
                "verbose_name_plural": "paid sales rollups",
                "indexes": [
                    models.Index(
                        condition=models.Q(("kind", "return")),
                        fields=["counted_on"],
                        name="paid_sales_rollup_returns",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "counted_on",
                            "partner_id",
                            "product_id",
                            "kind",
                            "invoice_date",
                            "original_date",
                        ),
                        name="unique_paid_sales_rollup_key",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
