import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funds.models import Fund
from funds.services import fund_budgets_sync


@pytest.fixture(autouse=True)
def _memory_storage(settings):
    """Proof files go to an in-memory storage: nothing is left on disk."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def make_fund(partner=None, tier=None, **values) -> Fund:
    fields = {
        "code": "MDF-27H1",
        "name": "First half 2027",
        "amount": Decimal("200000.00"),
        "start": dt.date(2027, 1, 1),
        "end": dt.date(2027, 6, 30),
        "share": Decimal("50"),
        "claim_days": 60,
        **values,
    }
    fund = Fund.objects.create(partner=partner, tier=tier, **fields)
    fund_budgets_sync(fund)
    return fund


def proof(name="proof.pdf", content=b"%PDF-1.4 proof of performance"):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def budget(world):
    return make_fund(partner=world.partner).budgets.get()
