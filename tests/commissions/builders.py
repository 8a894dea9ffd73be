"""Builders for the commissions tests: a small channel program loaded through the real loader,
sales rows, sales CSV files and statement snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from agreements.models import Product
from agreements.services.program import program_load
from commissions.models import Sale, Statement
from partners.models import Partner

TODAY = dt.date(2026, 9, 1)

COLUMNS = (
    "external_id,partner_code,sku,customer_name,customer_tax_id,segment,territory,"
    "invoice_date,kind,quantity,net_amount,currency,original_external_id"
)

_ids = itertools.count(1)


def plan(*rules: dict, code: str = "STD", **options) -> dict:
    """A `commission_plans` entry: monthly, 60 clawback days, no cap, no accelerator."""
    return {
        "code": code,
        "name": f"Plan {code}",
        "settlement": "month",
        "clawback_days": 60,
        "cap": None,
        "accelerator": None,
        "rules": list(rules),
        **options,
    }


def program(**sections) -> dict:
    """Three product lines, four products, a TWD partner with an agreement on plan STD for 2026, a
    TWD partner without any agreement and a JPY partner (agreement on STD); `sections` replace or
    add sections."""
    data = {
        "product_lines": [
            {"code": "NET", "name": "Networking"},
            {"code": "SEC", "name": "Security"},
            {"code": "WLS", "name": "Wireless"},
        ],
        "products": [
            {"sku": "SW-24", "name": "24-port switch", "line": "NET", "list_price": "12000.00"},
            {"sku": "SW-48", "name": "48-port switch", "line": "NET", "list_price": "20000.00"},
            {"sku": "FW-1", "name": "Firewall", "line": "SEC", "list_price": "30000.00"},
            {"sku": "AP-1", "name": "Access point", "line": "WLS", "list_price": "5000.00"},
        ],
        "partners": [
            {"code": "P-ACME", "name": "Acme", "currency": "TWD"},
            {"code": "P-BETA", "name": "Beta", "currency": "TWD"},
            {"code": "P-YEN", "name": "Yen Trading", "currency": "JPY"},
        ],
        "agreements": [
            {
                "number": "AG-ACME",
                "partner": "P-ACME",
                "plan": "STD",
                "start": "2026-01-01",
                "end": "2026-12-31",
            },
            {
                "number": "AG-YEN",
                "partner": "P-YEN",
                "plan": "STD",
                "start": "2026-01-01",
                "end": "2026-12-31",
            },
        ],
    }
    for product in data["products"]:
        product["currency"] = "TWD"
    data.update(sections)
    return data


def load(data: dict, *, today: dt.date = TODAY):
    return program_load(data, today=today)


def partner(code: str) -> Partner:
    return Partner.objects.get(code=code)


def sale(
    partner_code: str,
    sku: str,
    date: str,
    amount: str,
    quantity: str = "1",
    *,
    external_id: str | None = None,
) -> Sale:
    owner = partner(partner_code)
    return Sale.objects.create(
        external_id=external_id or f"S-{next(_ids)}",
        partner=owner,
        product=Product.objects.get(sku=sku),
        customer_name="Customer Ltd",
        invoice_date=dt.date.fromisoformat(date),
        kind=Sale.Kind.SALE,
        quantity=Decimal(quantity),
        net_amount=Decimal(amount),
        currency=owner.currency,
    )


def sale_return(original: Sale, date: str, amount: str, quantity: str = "1") -> Sale:
    return Sale.objects.create(
        external_id=f"R-{next(_ids)}",
        partner=original.partner,
        product=original.product,
        customer_name=original.customer_name,
        invoice_date=dt.date.fromisoformat(date),
        kind=Sale.Kind.RETURN,
        quantity=Decimal(quantity),
        net_amount=Decimal(amount),
        currency=original.currency,
        original=original,
    )


def csv_bytes(*rows: str, header: str = COLUMNS) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def statement(partner_code: str, period: str) -> Statement:
    return Statement.objects.get(partner__code=partner_code, period=period)


def lines(partner_code: str, period: str) -> list[tuple[str, Decimal]]:
    """(description, amount) of each line, in order."""
    return [
        (line.description, line.amount)
        for line in statement(partner_code, period).lines.order_by("position")
    ]


def snapshot() -> list[tuple]:
    """Everything a recompute writes, without ids and timestamps."""
    return [
        (
            s.partner.code,
            s.period,
            s.period_start,
            s.period_end,
            s.status,
            s.currency,
            s.total,
            s.net_sales,
            s.target,
            s.unmatched_count,
            s.unmatched_amount,
            [
                (
                    line.position,
                    line.kind,
                    line.description,
                    line.volume,
                    line.quantity,
                    line.sale_count,
                    line.amount,
                    line.explanation,
                )
                for line in s.lines.order_by("position")
            ],
        )
        for s in Statement.objects.select_related("partner").order_by("partner__code", "period")
    ]


def local_noon(date: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(date, dt.time(12)))
