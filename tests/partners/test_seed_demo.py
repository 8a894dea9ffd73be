from decimal import Decimal

import pytest
from django.core.management import call_command

from partners.models import DealRegistration, Partner, PartnerAward, Target, Territory
from partners.periods import current_period, period_shift

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_channel_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    assert Territory.objects.filter(code__startswith="TW-").count() >= 5
    deals = DealRegistration.objects.order_by("pk")
    assert [d.status for d in deals] == ["approved", "pending", "pending"]
    # The Hong Kong distributor registered TSMC in Chinese: flagged against Formosa's approval.
    assert [d.has_conflict for d in deals] == [True, False, True]
    negotiated = Target.objects.get(partner__code="P-FORMOSA", period=current_period())
    assert (negotiated.status, negotiated.amount) == ("agreed", Decimal("5200000.00"))
    assert negotiated.proposals.count() == 2
    ahead = Target.objects.get(partner__code="P-FORMOSA", period=period_shift(current_period(), 1))
    assert ahead.status == "negotiating"
    assert "P-HARBOUR" in set(Partner.objects.flagged().values_list("code", flat=True))
    assert PartnerAward.objects.count() == 2


def test_seed_demo_has_rates_with_history_and_usd_sales_converted():
    from commissions.models import ExchangeRate, Sale

    call_command("seed_demo", verbosity=0)

    for code in ("USD", "HKD"):
        assert ExchangeRate.objects.filter(from_currency=code, to_currency="TWD").count() >= 3
    usd = Sale.objects.filter(partner__code="P-FORMOSA", original_currency="USD")
    assert usd.filter(kind="sale").count() >= 4
    assert usd.filter(kind="return").count() == 1
    for sale in usd:
        assert sale.currency == "TWD"
        assert sale.net_amount == (sale.original_amount * sale.exchange_rate).quantize(
            Decimal("0.01")
        )
    # Every other demo invoice is in its partner's own currency.
    assert not Sale.objects.exclude(original_currency__in=["", "USD"]).exists()


def test_seed_demo_shows_a_carried_month_and_sales_awaiting_payment():
    from commissions.models import Sale, SalePaid, Statement, StatementLine

    call_command("seed_demo", verbosity=0)

    # Formosa's plan carries forward: last month's returned deal made it negative
    carried = StatementLine.objects.get(kind="carried", statement__partner__code="P-FORMOSA")
    previous = carried.carried_from
    assert previous.total < 0
    assert previous.carried_forward == previous.total == carried.amount
    assert carried.statement.period_start > previous.period_end
    # Harbour accrues on payment: two of three invoices paid, the rest awaiting payment
    harbour = Sale.objects.filter(partner__code="P-HARBOUR", kind="sale")
    paid = SalePaid.objects.filter(sale__in=harbour).count()
    assert 0 < paid < harbour.count()
    assert Statement.objects.filter(partner__code="P-HARBOUR").exists()


def test_seed_demo_payments_import_rejects_the_credit_note_it_lists():
    from commissions.models import Payment, PaymentBatch, Sale

    call_command("seed_demo", verbosity=0)

    batch = PaymentBatch.objects.get(filename="demo-payments.csv")
    assert batch.status == "done"
    assert batch.created_count == Payment.objects.filter(batch=batch).count() > 0
    credit_note = Sale.objects.filter(partner__code="P-HARBOUR", kind="return").first()
    assert batch.rejected_count == 1
    assert batch.rejections == [
        {
            "row": batch.total_rows + 1,
            "column": "external_id",
            "reason": f"{credit_note.external_id} is a return; payments are for sales",
        }
    ]
    assert not Payment.objects.filter(sale=credit_note).exists()
