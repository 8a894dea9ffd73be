"""The scorecard's two states: with a sales model (a stand-in for commissions' Sale) and without."""

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from partners.selectors import targets as target_selectors


@pytest.fixture
def sale_model(transactional_db, monkeypatch):
    """A `Sale` table with the fields the scorecard reads (partner_id, invoice_date, kind,
    net_amount), plugged in where the scorecard looks for commissions' Sale model."""
    with isolate_apps("commissions"):

        class Sale(models.Model):
            partner_id = models.BigIntegerField()
            invoice_date = models.DateField()
            kind = models.CharField(max_length=8, default="sale")
            net_amount = models.DecimalField(max_digits=14, decimal_places=2)

            class Meta:
                app_label = "commissions"
                db_table = "test_scorecard_sale"

            def __str__(self) -> str:
                return f"{self.partner_id} {self.invoice_date} {self.net_amount}"

    with connection.schema_editor() as editor:
        editor.create_model(Sale)
    monkeypatch.setattr(target_selectors, "_sale_model", lambda: Sale)
    yield Sale
    with connection.schema_editor() as editor:
        editor.delete_model(Sale)


@pytest.fixture
def no_sale_model(monkeypatch):
    """As before the commissions app brings its Sale model."""
    monkeypatch.setattr(target_selectors, "_sale_model", lambda: None)
