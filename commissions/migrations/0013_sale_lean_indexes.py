"""The sales table keeps only the indexes its queries read.

Every imported row paid for six index entries. The sales are read by date and partner
(sale_date_partner), by external_id (unique), by original (returns, partial) and by batch (the
sales an import created). No query reads them by partner alone or by product alone: those two
indexes served only the check before a partner or product is deleted, which now reads the table.
The batch index becomes a block-range index (BRIN) on PostgreSQL: an import's rows lie together
in the table, so a summary per range of blocks finds them, at next to no cost per row."""

import importlib

from django.db import migrations, models

_triggers = importlib.import_module("commissions.migrations.0005_sales_rollup_triggers")

BATCH_INDEX = "sale_batch"


def drop_sqlite_triggers(apps, schema_editor):
    """SQLite rebuilds altered tables; the triggers naming them must be out of the way."""
    if schema_editor.connection.vendor != "postgresql":
        for sql in _triggers.SQLITE_BACKWARD:
            schema_editor.execute(sql)


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        for sql in _triggers.SQLITE_FORWARD[:3]:
            schema_editor.execute(sql)


def create_batch_index(apps, schema_editor):
    using = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {BATCH_INDEX} ON commissions_sale {using}(batch_id)"
    )


def drop_batch_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {BATCH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0012_sale_references_per_statement"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.AlterField(
            model_name="sale",
            name="partner",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="sales",
                to="partners.partner",
                verbose_name="partner",
            ),
        ),
        migrations.AlterField(
            model_name="sale",
            name="product",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="sales",
                to="agreements.product",
                verbose_name="product",
            ),
        ),
        migrations.AlterField(
            model_name="sale",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="commissions.importbatch",
                verbose_name="import",
            ),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
        migrations.RunPython(create_batch_index, drop_batch_index),
    ]
