"""In a real browser: the partner's finance user reads a statement that carries a negative total
forward, the next one that opens with it, and a statement with sales awaiting payment."""

import datetime as dt
from decimal import Decimal

import pytest

from .conftest import login, screenshot_path
from .test_payouts import payout_world  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
TODAY = dt.date(2026, 12, 31)


def _sale(partner, external_id, date, amount, original=None):
    from agreements.models import Product
    from commissions.models import Sale

    return Sale.objects.create(
        external_id=external_id,
        partner=partner,
        product=Product.objects.get(sku="SW-24"),
        customer_name="Taipei Metro Hospital",
        invoice_date=dt.date.fromisoformat(date),
        kind="return" if original else "sale",
        quantity=Decimal("1"),
        net_amount=Decimal(amount),
        currency="TWD",
        original=original,
    )


def test_carried_forward_and_awaiting_payment(page, live_server, payout_world, request):  # noqa: F811
    from commissions.models import PlanVersion, Statement
    from commissions.services.compute import recompute

    PlanVersion.objects.update(carry_forward=True, accrual="payment")
    partner = payout_world.partner
    september = _sale(partner, "S-1", "2026-09-10", "100000.00")
    september.payments.create(paid_date=dt.date(2026, 9, 12), amount=Decimal("100000.00"))
    _sale(partner, "R-1", "2026-10-05", "19376.00", original=september)
    _sale(partner, "S-2", "2026-11-03", "10000.00")
    from commissions.services.payments import sale_paid_refresh

    sale_paid_refresh(sale_ids=[september.pk])
    for month in ("2026-09", "2026-10", "2026-11"):
        recompute(month_label=month, today=TODAY)
    october = Statement.objects.get(period="2026-10")
    november = Statement.objects.get(period="2026-11")

    login(page, live_server, payout_world.email("partner_finance"))
    page.goto(f"{live_server.url}/payouts/{october.pk}/")
    assert "pays nothing" in page.inner_text("#carried-forward")
    page.screenshot(path=screenshot_path(f"{request.node.name}-october"), full_page=True)
    page.click("#carried-forward a")
    assert page.url.endswith(f"/payouts/{november.pk}/")
    body = page.inner_text("main")
    assert "Carried forward from 2026-10: −968.80" in body
    assert "1 sale awaiting payment" in page.inner_text("#awaiting-payment")
    page.screenshot(path=screenshot_path(f"{request.node.name}-november"), full_page=True)
