"""Objects the access matrix needs for the price-protection URLs, built in the test's world:
a purchase of partner A, a claim awaiting its declaration and one awaiting review."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funds.models import PriceProtectionClaim, PurchaseInvoiceLine
from funds.protection import claim_declare
from tests.agreements.factories import ProductFactory


def _product():
    from agreements.models import Product

    return Product.objects.filter(sku="PP-MATRIX").first() or ProductFactory(sku="PP-MATRIX")


def purchase(world) -> PurchaseInvoiceLine:
    found = PurchaseInvoiceLine.objects.filter(invoice_number="PP-INV-1").first()
    if found is not None:
        return found
    return PurchaseInvoiceLine.objects.create(
        invoice_number="PP-INV-1",
        line=1,
        partner=world.partner,
        product=_product(),
        invoice_date=timezone.localdate() - dt.timedelta(days=5),
        quantity=Decimal("4"),
        unit_net_price=Decimal("900.00"),
        currency=world.partner.currency,
    )


def _claim(world, days_ago: int) -> PriceProtectionClaim:
    purchase(world)
    today = timezone.localdate()
    claim, _created = PriceProtectionClaim.objects.get_or_create(
        partner=world.partner,
        product=_product(),
        effective_date=today - dt.timedelta(days=days_ago),
        defaults={
            "trigger": PriceProtectionClaim.Trigger.LIST_PRICE,
            "previous_net_price": Decimal("900.00"),
            "new_net_price": Decimal("800.00"),
            "currency": world.partner.currency,
            "protection_days": 30,
            "deadline": today + dt.timedelta(days=29),
        },
    )
    return claim


def open_claim_pk(world) -> dict:
    return {"pk": _claim(world, 1).pk}


def submitted_claim_pk(world) -> dict:
    claim = _claim(world, 2)
    if claim.status == PriceProtectionClaim.Status.OPEN:
        claim = claim_declare(actor=world.users["partner_finance"], claim=claim, on_hand="3")
    return {"pk": claim.pk}


def purchases_file(world) -> dict:
    _product()
    today = timezone.localdate().isoformat()
    content = (
        "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency\n"
        f"MX-1,1,{world.partner.code},PP-MATRIX,{today},2,900.00,{world.partner.currency}\n"
    )
    return {"file": SimpleUploadedFile("purchases.csv", content.encode(), "text/csv")}
