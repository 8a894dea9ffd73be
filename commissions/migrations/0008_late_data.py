"""Late data for a closed period: when each sales line arrived, and restatement lines naming the
approved statement whose period they restate.

Lines already stored keep an empty `imported_at` (their arrival is unknown, and a table rewrite
for a guess is not worth it); new lines get the time they are written, in the database for the
bulk COPY path."""

import importlib

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

_triggers = importlib.import_module("commissions.migrations.0005_sales_rollup_triggers")


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
        ("commissions", "0007_faster_imports"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        # Added empty first, so that existing lines are not stamped with the migration's time.
        migrations.AddField(
            model_name="sale",
            name="imported_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="imported at"),
        ),
        migrations.AlterField(
            model_name="sale",
            name="imported_at",
            field=models.DateTimeField(
                blank=True,
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                null=True,
                verbose_name="imported at",
            ),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
        migrations.AddField(
            model_name="statementline",
            name="restates",
            field=models.ForeignKey(
                blank=True,
                help_text="The approved statement whose period this line restates.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="restatements",
                to="commissions.statement",
                verbose_name="restates statement",
            ),
        ),
        migrations.AlterField(
            model_name="statementline",
            name="kind",
            field=models.CharField(
                choices=[
                    ("rule", "Rule"),
                    ("cap", "Cap"),
                    ("restatement", "Restatement"),
                    ("adjustment", "Adjustment"),
                ],
                max_length=12,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="statementline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "restatement"), ("restates__isnull", False)),
                    models.Q(
                        models.Q(("kind", "restatement"), _negated=True),
                        ("restates__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="restatement_names_its_statement",
            ),
        ),
    ]
