"""Demo sales for seed_demo: two months of invoices for each demo distributor, imported through
the real import path and computed into statements."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.utils import timezone

from agreements.models import Product
from agreements.services.program import program_load
from partners.models import Partner, Target

from . import periods
from .services.compute import recompute
from .services.imports import COLUMNS, sales_import

CUSTOMERS = {
    "P-FORMOSA": [
        ("Taipei Metro Hospital", "03795904"),
        ("台灣高鐵股份有限公司", "70827143"),
        ("New Taipei Schools Network", ""),
        ("Sunrise Logistics Co., Ltd.", "24536806"),
    ],
    "P-HARBOUR": [
        ("Harbour City Estates Limited", ""),
        ("Kowloon Data Centre Ltd", ""),
        ("港島物流有限公司", ""),
    ],
}


# Exchange rates into TWD with some history: (days before the first demo month, rate).
DEMO_RATES = {
    "USD": [(-30, "32.10"), (0, "31.85"), (14, "32.05"), (31, "31.50"), (45, "31.72")],
    "HKD": [(-30, "4.12"), (0, "4.08"), (14, "4.10"), (31, "4.05"), (45, "4.06")],
}
# The Taiwanese distributor also invoices some customers in US dollars.
USD_PARTNER = "P-FORMOSA"
USD_CUSTOMERS = [("Pacific Semiconductor Inc.", ""), ("Global Freight Corp.", "")]


def demo_rates(today: dt.date) -> list[dict]:
    """The program file's `exchange_rates` entries of the demo, dated from the first demo month
    on (never after today)."""
    first = periods.month(demo_months(today)[0]).start
    return [
        {"from": code, "to": "TWD", "date": day.isoformat(), "rate": rate}
        for code, history in DEMO_RATES.items()
        for offset, rate in history
        if (day := first + dt.timedelta(days=offset)) <= today
    ]


def _usd_lines(partner: Partner, months: list[str], today: dt.date, rng) -> list[str]:
    """A few invoices of the partner in USD each month, and a return of the first one."""
    products = list(Product.objects.filter(currency=partner.currency, is_active=True))
    lines = []
    for month in months:
        period = periods.month(month)
        last_day = min(period.end, today)
        for n in range(4):
            product = rng.choice(products)
            customer, tax_id = rng.choice(USD_CUSTOMERS)
            day = period.start + dt.timedelta(
                days=rng.randrange((last_day - period.start).days + 1)
            )
            quantity = rng.randint(1, 2)
            usd = rng.choice([95, 120, 150, 180]) * quantity
            external_id = f"{partner.code}-{month}-USD-{n:02d}"
            lines.append(
                f'{external_id},{partner.code},{product.sku},"{customer}",{tax_id},'
                f"enterprise,,{day.isoformat()},sale,{quantity},{usd}.00,USD,"
            )
            if n == 0 and month == months[0]:
                lines.append(
                    f'{external_id}-R,{partner.code},{product.sku},"{customer}",{tax_id},'
                    f"enterprise,,{last_day.isoformat()},return,1,{usd // quantity}.00,USD,"
                    f"{external_id}"
                )
    return lines


def demo_months(today: dt.date) -> list[str]:
    this_month = today.replace(day=1)
    previous = (this_month - dt.timedelta(days=1)).replace(day=1)
    return [periods.month_of(previous), periods.month_of(this_month)]


def seed_demo_sales(*, today: dt.date | None = None) -> None:
    """Import the demo invoices (idempotent: a second run finds only duplicates)."""
    today = today or timezone.localdate()
    months = demo_months(today)
    rng = random.Random(2026)  # noqa: S311 - demo data, repeatable on purpose
    lines = [",".join(COLUMNS)]
    targets = []
    for partner in Partner.objects.filter(code__in=CUSTOMERS).order_by("code"):
        products = list(Product.objects.filter(currency=partner.currency, is_active=True))
        for month in months:
            period = periods.month(month)
            last_day = min(period.end, today)
            for n in range(18):
                product = rng.choice(products)
                customer, tax_id = rng.choice(CUSTOMERS[partner.code])
                span = (last_day - period.start).days + 1
                day = period.start + dt.timedelta(days=rng.randrange(span))
                quantity = rng.randint(1, 12)
                unit = (
                    product.price_items.order_by("-price_list__effective_from").first().list_price
                )
                net = (unit * quantity * rng.choice([80, 85, 90]) / 100).quantize(unit)
                external_id = f"{partner.code}-{month}-{n:03d}"
                lines.append(
                    f'{external_id},{partner.code},{product.sku},"{customer}",{tax_id},'
                    f"enterprise,,{day.isoformat()},sale,{quantity},{net},{partner.currency},"
                )
                if n == 0 and month == months[0]:
                    # One unit of the month's first invoice comes back at the month's end.
                    lines.append(
                        f'{external_id}-R,{partner.code},{product.sku},"{customer}",{tax_id},'
                        f"enterprise,,{last_day.isoformat()},return,1,"
                        f"{(net / quantity).quantize(unit)},{partner.currency},{external_id}"
                    )
            if not Target.objects.filter(partner=partner, period=month).exists():
                amount = "600000" if partner.currency == "TWD" else "150000"
                targets.append({"partner": partner.code, "period": month, "amount": amount})
        if partner.code == USD_PARTNER:
            # A generator of their own: the other demo invoices stay as they were.
            usd_rng = random.Random(1510)  # noqa: S311 - demo data, repeatable on purpose
            lines += _usd_lines(partner, months, today, usd_rng)
    lines += _returned_deal(today)
    program_load({"targets": targets, "exchange_rates": demo_rates(today)}, today=today)
    sales_import(content=("\n".join(lines) + "\n").encode(), filename="demo-sales.csv")
    _demo_payments(months)
    earlier = periods.month_of(periods.month(months[0]).start - dt.timedelta(days=1))
    for month in [earlier, *months]:
        recompute(month_label=month)


def _returned_deal(today: dt.date) -> list[str]:
    """Formosa (a plan that carries forward): a large deal invoiced two months ago and returned
    last month turns last month negative; it pays nothing and opens this month's statement."""
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    earlier = (last_month - dt.timedelta(days=1)).replace(day=20)
    product = Product.objects.filter(currency="TWD", sku="SEC-LIC-1Y").first()
    if product is None:
        return []
    customer = "Taipei Metro Hospital"
    return [
        f'P-FORMOSA-BIG,P-FORMOSA,{product.sku},"{customer}",03795904,enterprise,,'
        f"{earlier.isoformat()},sale,200,1500000.00,TWD,",
        f'P-FORMOSA-BIG-R,P-FORMOSA,{product.sku},"{customer}",03795904,enterprise,,'
        f"{last_month.replace(day=5).isoformat()},return,200,1500000.00,TWD,P-FORMOSA-BIG",
    ]


def _demo_payments(months: list[str]) -> None:
    """Harbour (a plan accruing on payment): two of three invoices paid, some in two
    instalments; the rest await payment. The customer's remittance also lists a credit note,
    which the import rejects (payments are for sales)."""
    from .models import Sale
    from .services.payments import payments_import

    rows = ["external_id,paid_date,amount"]
    today = timezone.localdate()
    sales = Sale.objects.filter(partner__code="P-HARBOUR", kind=Sale.Kind.SALE).order_by(
        "external_id"
    )
    for n, sale in enumerate(sales):
        if n % 3 == 2:
            continue
        day = min(sale.invoice_date + dt.timedelta(days=7 + n % 10), today)
        if n % 3 == 1:
            half = (sale.net_amount / 2).quantize(sale.net_amount)
            later = min(day + dt.timedelta(days=12), today)
            rows += [
                f"{sale.external_id},{day},{half}",
                f"{sale.external_id},{later},{sale.net_amount - half}",
            ]
        else:
            rows.append(f"{sale.external_id},{day},{sale.net_amount}")
    credit_note = (
        Sale.objects.filter(partner__code="P-HARBOUR", kind=Sale.Kind.RETURN)
        .order_by("external_id")
        .first()
    )
    if credit_note is not None:
        rows.append(f"{credit_note.external_id},{today},{credit_note.net_amount}")
    payments_import(
        file=io.BytesIO(("\n".join(rows) + "\n").encode()), filename="demo-payments.csv"
    )
