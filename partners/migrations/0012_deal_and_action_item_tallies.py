"""Tallies of the pending deal registrations and the open action items (prm.core.tally), which
the vendor dashboard reads for who sees every partner instead of counting the rows."""

from django.db import migrations

from prm.core.tally import tally_install, tally_remove

TALLIES = [
    ("partners.deal.pending", "partners_dealregistration", "{row}.status = 'pending'"),
    ("partners.actionitem.open", "partners_actionitem", "{row}.done_at IS NULL"),
]


def install(apps, schema_editor):
    for name, table, condition in TALLIES:
        tally_install(schema_editor.connection, name=name, table=table, condition=condition)


def remove(apps, schema_editor):
    for name, table, _condition in TALLIES:
        tally_remove(schema_editor.connection, name=name, table=table)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_row_tally"),
        ("partners", "0011_partner_grant_totals"),
    ]

    operations = [migrations.RunPython(install, remove)]
