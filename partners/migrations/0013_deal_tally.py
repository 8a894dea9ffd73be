"""A tally of every deal registration (prm.core.tally), which the deal list reads as its
unfiltered count for who sees every partner instead of counting the rows."""

from django.db import migrations

from prm.core.tally import tally_install, tally_remove

NAME, TABLE = "partners.deal.all", "partners_dealregistration"


def install(apps, schema_editor):
    tally_install(schema_editor.connection, name=NAME, table=TABLE, condition="TRUE")


def remove(apps, schema_editor):
    tally_remove(schema_editor.connection, name=NAME, table=TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("partners", "0012_deal_and_action_item_tallies"),
    ]

    operations = [migrations.RunPython(install, remove)]
