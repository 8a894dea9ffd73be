"""A sale's partner, product and original are checked once per statement, not per row.

PostgreSQL checked each foreign key of each inserted sale with a query of its own at commit:
three queries a row, most of the time of a million-row import. The constraints give way to one
statement-level trigger that locks the partners, products and original sales the new rows name
(FOR KEY SHARE, as those checks did, so none can be deleted before the transaction ends) and
refuses the statement when one is missing. Deleting a referenced row is still refused by the
models (on_delete=PROTECT).

The varchar_pattern_ops index Django adds beside the unique one on external_id serves only
prefix LIKE queries, which nothing runs; every insert paid for it. The index on original_id
holds the returns only (a partial index): the sales, 99% of the lines, no longer enter it."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_triggers = importlib.import_module("commissions.migrations.0005_sales_rollup_triggers")

CHECK = """
    CREATE FUNCTION commissions_sale_references_check() RETURNS trigger AS $$
    DECLARE
        missing bigint;
    BEGIN
        WITH wanted AS (SELECT DISTINCT partner_id AS id FROM sale_new),
        found AS (
            SELECT p.id FROM partners_partner p WHERE p.id IN (SELECT id FROM wanted)
            FOR KEY SHARE
        )
        SELECT (SELECT count(*) FROM wanted) - (SELECT count(*) FROM found) INTO missing;
        IF missing > 0 THEN
            RAISE EXCEPTION 'a sale names a partner that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        WITH wanted AS (SELECT DISTINCT product_id AS id FROM sale_new),
        found AS (
            SELECT p.id FROM agreements_product p WHERE p.id IN (SELECT id FROM wanted)
            FOR KEY SHARE
        )
        SELECT (SELECT count(*) FROM wanted) - (SELECT count(*) FROM found) INTO missing;
        IF missing > 0 THEN
            RAISE EXCEPTION 'a sale names a product that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        WITH wanted AS (
            SELECT DISTINCT original_id AS id FROM sale_new WHERE original_id IS NOT NULL
        ),
        found AS (
            SELECT s.id FROM commissions_sale s WHERE s.id IN (SELECT id FROM wanted)
            FOR KEY SHARE
        )
        SELECT (SELECT count(*) FROM wanted) - (SELECT count(*) FROM found) INTO missing;
        IF missing > 0 THEN
            RAISE EXCEPTION 'a return names an original sale that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
"""
POSTGRES_FORWARD = [
    CHECK,
    """
    CREATE TRIGGER commissions_sale_references_insert AFTER INSERT ON commissions_sale
    REFERENCING NEW TABLE AS sale_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_references_check()
    """,
    """
    CREATE TRIGGER commissions_sale_references_update AFTER UPDATE ON commissions_sale
    REFERENCING NEW TABLE AS sale_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_sale_references_check()
    """,
    "DROP INDEX IF EXISTS commissions_sale_external_id_29639205_like",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_sale_references_insert ON commissions_sale",
    "DROP TRIGGER IF EXISTS commissions_sale_references_update ON commissions_sale",
    "DROP FUNCTION IF EXISTS commissions_sale_references_check()",
    "CREATE INDEX IF NOT EXISTS commissions_sale_external_id_29639205_like "
    "ON commissions_sale (external_id varchar_pattern_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


def drop_sqlite_triggers(apps, schema_editor):
    """SQLite rebuilds altered tables; the triggers naming them must be out of the way."""
    if schema_editor.connection.vendor != "postgresql":
        for sql in _triggers.SQLITE_BACKWARD:
            schema_editor.execute(sql)


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        for sql in _triggers.SQLITE_FORWARD[:3]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0002_pricelist_agreement_agreementreminder_and_more'),
        ('commissions', '0011_recompute_batches'),
        ('partners', '0004_reviews_announcements_milestones'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.AlterField(
            model_name='sale',
            name='original',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='commissions.sale', verbose_name='original sale'),
        ),
        migrations.AddIndex(
            model_name='sale',
            index=models.Index(condition=models.Q(('original__isnull', False)), fields=['original'], name='sale_return_original'),
        ),
        migrations.AlterField(
            model_name='sale',
            name='partner',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='sales', to='partners.partner', verbose_name='partner'),
        ),
        migrations.AlterField(
            model_name='sale',
            name='product',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='sales', to='agreements.product', verbose_name='product'),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
    ]
