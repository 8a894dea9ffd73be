"""Triggers that keep commissions_salesrollup equal to the sums of commissions_sale.

PostgreSQL: statement-level triggers with transition tables, so a bulk import updates the
rollup in one set-based statement. SQLite: row-level triggers (the embedded demo)."""

from django.db import migrations

ROLLUP_COLUMNS = (
    "partner_id, product_id, kind, invoice_date, original_date, "
    "volume_cents, quantity_hundredths, line_count"
)
KEY = "partner_id, product_id, kind, invoice_date, original_date"

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION commissions_sale_rollup_add() RETURNS trigger AS $$
    BEGIN
        INSERT INTO commissions_salesrollup ({ROLLUP_COLUMNS})
        SELECT n.partner_id, n.product_id, n.kind, n.invoice_date,
               CASE WHEN n.original_id IS NULL THEN DATE '1900-01-01' ELSE (
                   SELECT o.invoice_date FROM commissions_sale o WHERE o.id = n.original_id
               ) END,
               SUM(ROUND(n.net_amount * 100))::bigint, SUM(ROUND(n.quantity * 100))::bigint,
               COUNT(*)
        FROM rollup_new n
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT ({KEY}) DO UPDATE SET
            volume_cents = commissions_salesrollup.volume_cents + EXCLUDED.volume_cents,
            quantity_hundredths =
                commissions_salesrollup.quantity_hundredths + EXCLUDED.quantity_hundredths,
            line_count = commissions_salesrollup.line_count + EXCLUDED.line_count;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION commissions_sale_rollup_remove() RETURNS trigger AS $$
    BEGIN
        UPDATE commissions_salesrollup r SET
            volume_cents = r.volume_cents - d.volume_cents,
            quantity_hundredths = r.quantity_hundredths - d.quantity_hundredths,
            line_count = r.line_count - d.line_count
        FROM (
            SELECT x.partner_id, x.product_id, x.kind, x.invoice_date,
                   CASE WHEN x.original_id IS NULL THEN DATE '1900-01-01' ELSE (
                       SELECT o.invoice_date FROM commissions_sale o WHERE o.id = x.original_id
                   ) END AS original_date,
                   SUM(ROUND(x.net_amount * 100))::bigint AS volume_cents,
                   SUM(ROUND(x.quantity * 100))::bigint AS quantity_hundredths,
                   COUNT(*) AS line_count
            FROM rollup_old x
            GROUP BY 1, 2, 3, 4, 5
        ) d
        WHERE (r.partner_id, r.product_id, r.kind, r.invoice_date, r.original_date)
            = (d.partner_id, d.product_id, d.kind, d.invoice_date, d.original_date);
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER commissions_sale_rollup_insert AFTER INSERT ON commissions_sale
    REFERENCING NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_rollup_add()
    """,
    """
    CREATE TRIGGER commissions_sale_rollup_delete AFTER DELETE ON commissions_sale
    REFERENCING OLD TABLE AS rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_rollup_remove()
    """,
    """
    CREATE TRIGGER commissions_sale_rollup_update_old AFTER UPDATE ON commissions_sale
    REFERENCING OLD TABLE AS rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_rollup_remove()
    """,
    """
    CREATE TRIGGER commissions_sale_rollup_update_new AFTER UPDATE ON commissions_sale
    REFERENCING NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_rollup_add()
    """,
    f"""
    INSERT INTO commissions_salesrollup ({ROLLUP_COLUMNS})
    SELECT s.partner_id, s.product_id, s.kind, s.invoice_date,
           COALESCE(o.invoice_date, DATE '1900-01-01'),
           SUM(ROUND(s.net_amount * 100))::bigint, SUM(ROUND(s.quantity * 100))::bigint, COUNT(*)
    FROM commissions_sale s LEFT JOIN commissions_sale o ON o.id = s.original_id
    GROUP BY 1, 2, 3, 4, 5
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_insert ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_delete ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_update_old ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_update_new ON commissions_sale",
    "DROP FUNCTION IF EXISTS commissions_sale_rollup_add()",
    "DROP FUNCTION IF EXISTS commissions_sale_rollup_remove()",
]

_SQLITE_ORIGINAL = (
    "COALESCE((SELECT o.invoice_date FROM commissions_sale o WHERE o.id = {row}.original_id), "
    "'1900-01-01')"
)


def _sqlite_add(row: str) -> str:
    return f"""
        INSERT INTO commissions_salesrollup ({ROLLUP_COLUMNS})
        VALUES ({row}.partner_id, {row}.product_id, {row}.kind, {row}.invoice_date,
                {_SQLITE_ORIGINAL.format(row=row)},
                CAST(ROUND({row}.net_amount * 100) AS INTEGER),
                CAST(ROUND({row}.quantity * 100) AS INTEGER), 1)
        ON CONFLICT ({KEY}) DO UPDATE SET
            volume_cents = volume_cents + excluded.volume_cents,
            quantity_hundredths = quantity_hundredths + excluded.quantity_hundredths,
            line_count = line_count + excluded.line_count;
    """


def _sqlite_remove(row: str) -> str:
    return f"""
        UPDATE commissions_salesrollup SET
            volume_cents = volume_cents - CAST(ROUND({row}.net_amount * 100) AS INTEGER),
            quantity_hundredths = quantity_hundredths - CAST(ROUND({row}.quantity * 100) AS INTEGER),
            line_count = line_count - 1
        WHERE partner_id = {row}.partner_id AND product_id = {row}.product_id
          AND kind = {row}.kind AND invoice_date = {row}.invoice_date
          AND original_date = {_SQLITE_ORIGINAL.format(row=row)};
    """


SQLITE_FORWARD = [
    f"CREATE TRIGGER commissions_sale_rollup_insert AFTER INSERT ON commissions_sale "
    f"BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER commissions_sale_rollup_delete AFTER DELETE ON commissions_sale "
    f"BEGIN {_sqlite_remove('OLD')} END",
    f"CREATE TRIGGER commissions_sale_rollup_update AFTER UPDATE ON commissions_sale "
    f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
    f"""
    INSERT INTO commissions_salesrollup ({ROLLUP_COLUMNS})
    SELECT s.partner_id, s.product_id, s.kind, s.invoice_date,
           COALESCE(o.invoice_date, '1900-01-01'),
           SUM(CAST(ROUND(s.net_amount * 100) AS INTEGER)),
           SUM(CAST(ROUND(s.quantity * 100) AS INTEGER)), COUNT(*)
    FROM commissions_sale s LEFT JOIN commissions_sale o ON o.id = s.original_id
    GROUP BY 1, 2, 3, 4, 5
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_insert",
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_delete",
    "DROP TRIGGER IF EXISTS commissions_sale_rollup_update",
]


def forward(apps, schema_editor):
    statements = POSTGRES_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = (
        POSTGRES_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("commissions", "0004_sales_rollup")]

    operations = [migrations.RunPython(forward, backward)]
