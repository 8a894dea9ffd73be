"""A tally of the flagged partners (over their credit limit or rated high risk,
partners.models.FLAGGED_Q; prm.core.tally), which the vendor dashboard reads for who sees every
partner instead of counting them."""

from django.db import migrations

from prm.core.tally import tally_install, tally_remove

NAME, TABLE = "partners.partner.flagged", "partners_partner"
CONDITION = "({row}.overdue_receivables > {row}.credit_limit OR {row}.risk_rating = 'high')"


def install(apps, schema_editor):
    tally_install(schema_editor.connection, name=NAME, table=TABLE, condition=CONDITION)


def remove(apps, schema_editor):
    tally_remove(schema_editor.connection, name=NAME, table=TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("partners", "0013_deal_tally"),
    ]

    operations = [migrations.RunPython(install, remove)]
