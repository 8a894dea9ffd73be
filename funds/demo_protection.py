"""Demo price protection for seed_demo: both demo distributors bought two products at their net
prices in the last weeks (imported as a purchases file), then the vendor cuts their net price on
those products from today with a partner price override, which opens a claim for each through the
price signal. One claim of each distributor is declared (awaiting the vendor's review), the other
awaits its declaration. The file also holds a line the import rejects: Harbour's purchase of the
Taiwanese model, which is priced in another currency. Idempotent: nothing is written once the
demo purchases exist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import PriceOverride, Product
from partners.models import Partner

from .models import PriceProtectionClaim, PurchaseInvoiceLine
from .protection import base_net_prices, claim_declare
from .purchases import purchases_import

D = dt.timedelta(days=1)
# partner, declaring user, currency, [(sku, new discount %, [(days ago, units)], declared on hand)]
CUTS = [
    (
        "P-FORMOSA",
        "finance@formosa.example",
        "TWD",
        [
            ("SW-24", Decimal("30"), [(20, 12), (6, 8)], Decimal("14")),
            ("SW-48", Decimal("30"), [(12, 5)], None),
        ],
    ),
    (
        "P-HARBOUR",
        "finance@harbour.example",
        "HKD",
        [
            ("SW-24-HK", Decimal("24"), [(25, 30), (9, 10)], Decimal("22")),
            ("FW-100-HK", Decimal("20"), [(4, 3)], None),
        ],
    ),
]


INVOICE_PREFIX = "SI-DEMO-"
WRONG_CURRENCY_SKU = "SW-24"


def seed_demo_price_protection() -> None:
    codes = [c[0] for c in CUTS]
    partners = {p.code: p for p in Partner.objects.filter(code__in=codes)}
    skus = [item[0] for c in CUTS for item in c[3]]
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    if (
        len(partners) < len(CUTS)
        or len(products) < len(skus)
        or PurchaseInvoiceLine.objects.filter(invoice_number__startswith=INVOICE_PREFIX).exists()
    ):
        return
    today = timezone.localdate()
    before = base_net_prices(
        partners=list(partners.values()),
        product_ids=[p.pk for p in products.values()],
        on=today - D,
    )
    rows = ["invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency"]
    for code, _email, currency, items in CUTS:
        partner = partners[code]
        for position, (sku, _new, bought, _on_hand) in enumerate(items, start=1):
            price = before.get((partner.pk, products[sku].pk))
            if price is None:
                continue
            for days_ago, units in bought:
                invoice = f"{INVOICE_PREFIX}{code[2:5]}-{(today - days_ago * D):%y%m%d}"
                rows.append(
                    f"{invoice},{position},{code},{sku},{(today - days_ago * D).isoformat()},"
                    f"{units},{price},{currency}"
                )
    # Harbour's purchase of the Taiwanese 24-port switch: priced in TWD, so the line is rejected.
    day = today - 9 * D
    rows.append(
        f"{INVOICE_PREFIX}HAR-{day:%y%m%d},3,P-HARBOUR,{WRONG_CURRENCY_SKU},{day.isoformat()},"
        "2,1500.00,HKD"
    )
    purchases_import(content="\n".join(rows).encode(), filename="demo-purchases.csv")
    for code, _email, _currency, items in CUTS:
        for sku, discount, _bought, _on_hand in items:
            # Saving the override opens the claim (funds.signals).
            override = PriceOverride.objects.filter(
                partner=partners[code], product=products[sku]
            ).first() or PriceOverride(partner=partners[code], product=products[sku])
            override.discount = discount
            override.net_price = None
            override.save()
    users = {u.email: u for u in get_user_model().objects.filter(email__endswith=".example")}
    for code, email, _currency, items in CUTS:
        for sku, _new, _bought, on_hand in items:
            if on_hand is None:
                continue
            claim = PriceProtectionClaim.objects.filter(
                partner=partners[code],
                product=products[sku],
                effective_date=today,
                status=PriceProtectionClaim.Status.OPEN,
            ).first()
            if claim is not None:
                claim_declare(actor=users.get(email), claim=claim, on_hand=on_hand, today=today)
