"""The net-price rule, with the derivation of every figure.

Net price of product S for partner P on date D: the list price of S in force on D; minus the
discount (P's override for S if any, else P's tier discount for S's line, else the tier's default
discount); then minus the best single promotion active on D whose audience includes P and whose
scope includes S (promotions never stack); rounded half-up to the currency's minor unit. MAP is
shown beside it and does not change it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db import connection, connections
from django.db.models import CharField, DateField, DecimalField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from partners.models import Partner, _localised
from prm.core.money import format_amount, format_percent, minor_unit, quantize

from .models import (
    PriceList,
    PriceListItem,
    PriceOverride,
    Product,
    Promotion,
    TierLineDiscount,
)

HUNDRED = Decimal("100")


class DiscountSource:
    OVERRIDE_DISCOUNT = "override_discount"
    OVERRIDE_NET_PRICE = "override_net_price"
    TIER_LINE = "tier_line"
    TIER_DEFAULT = "tier_default"
    NONE = "none"


@dataclass
class PriceRow:
    product: Product
    currency: str
    list_price: Decimal | None
    map_price: Decimal | None
    price_list_code: str = ""
    price_list_from: dt.date | None = None
    discount: Decimal = Decimal("0")
    discount_source: str = DiscountSource.NONE
    promotion: Promotion | None = None
    promotion_candidates: int = 0
    net_price: Decimal | None = None
    steps: list[str] = field(default_factory=list)

    @property
    def promotion_percent(self) -> Decimal | None:
        return self.promotion.percent if self.promotion else None


def products_with_prices(products: QuerySet[Product], on: dt.date) -> QuerySet[Product]:
    """Annotate each product with the list price and MAP in force on `on`, and the code and
    date of their price list (one query): the latest list in the product's currency in force
    on that date, the newest list first when two start the same day."""
    date = connections[products.db].ops.adapt_datefield_value(on)
    return products.select_related("line").annotate(
        in_force_list_price=_in_force("U0.list_price", date, _MONEY),
        in_force_map_price=_in_force("U0.map_price", date, _MONEY),
        in_force_list_code=_in_force("U1.code", date, CharField()),
        in_force_list_from=_in_force("U1.effective_from", date, DateField()),
    )


_MONEY = DecimalField(max_digits=14, decimal_places=2)
# The price list item in force, as a correlated subquery written once: built as expressions,
# Django resolves and compiles four of them for every page of prices, which costs more than
# running them. Table names come from the models; the date is a parameter.
_IN_FORCE = (
    "SELECT {column} FROM {item} U0 INNER JOIN {price_list} U1 ON U0.price_list_id = U1.id "
    "WHERE U0.product_id = {product_id} AND U1.effective_from <= %s "
    "AND U1.currency = {currency} "
    "ORDER BY U1.effective_from DESC, U1.id DESC LIMIT 1"
)


def _in_force(
    column: str,
    date,
    output_field,
    product_id: str = f"{Product._meta.db_table}.id",
    currency: str = f"{Product._meta.db_table}.currency",
) -> RawSQL:
    sql = _IN_FORCE.format(
        column=column,
        item=PriceListItem._meta.db_table,
        price_list=PriceList._meta.db_table,
        product_id=product_id,
        currency=currency,
    )
    return RawSQL(sql, [date], output_field=output_field)  # noqa: S611 - no user input in sql


class PriceContext:
    """Everything about a partner that prices depend on, read once (a fixed number of queries)."""

    def __init__(self, partner: Partner, on: dt.date, product_ids: list[int] | None = None) -> None:
        """`product_ids`: the products to be priced, when known (a page of the price sheet),
        so that only their overrides are read."""
        self.partner = partner
        self.on = on
        self.tier = partner.tier
        overrides = PriceOverride.objects.filter(partner=partner).order_by()
        if product_ids is not None and len(product_ids) <= 1000:
            overrides = overrides.filter(product_id__in=product_ids)
        self.overrides = {o.product_id: o for o in overrides}
        # Every row's derivation says the same sentences: each is translated once per sheet.
        self.translate = cache(gettext)
        self._best_promotion: dict[tuple, tuple[Promotion | None, int]] = {}
        self.line_discounts = (
            dict(
                TierLineDiscount.objects.filter(tier=self.tier)
                .order_by()
                .values_list("line_id", "percent")
            )
            if self.tier
            else {}
        )
        territories = Partner.territories.through.objects.filter(partner_id=partner.pk)
        territory_ids = set(territories.values_list("territory_id", flat=True))
        promotions = list(Promotion.objects.filter(start__lte=on, end__gte=on))
        audiences = _audiences(promotions)
        self.promotions = [
            p for p in promotions if self._in_audience(audiences[p.pk], territory_ids)
        ]
        self._promoted_products = {p.product_id for p in self.promotions if p.product_id}

    def _in_audience(self, audience: dict[str, set[int]], territory_ids: set[int]) -> bool:
        tiers, territories, partners = (
            audience["tiers"],
            audience["territories"],
            audience["partners"],
        )
        if not (tiers or territories or partners):
            return True
        return (
            (self.tier is not None and self.tier.pk in tiers)
            or bool(territories & territory_ids)
            or self.partner.pk in partners
        )

    def promotions_for(self, product: Product) -> list[Promotion]:
        return [
            p
            for p in self.promotions
            if (p.product_id is None or p.product_id == product.pk)
            and (p.line_id is None or p.line_id == product.line_id)
        ]

    def best_promotion(self, product: Product) -> tuple[Promotion | None, int]:
        """The promotion that applies to `product` and the number it was chosen from. Products
        of a line that no promotion names one by one share the answer."""
        pk = product.pk if product.pk in self._promoted_products else None
        key = (product.line_id, pk)
        if key not in self._best_promotion:
            candidates = self.promotions_for(product)
            # Promotions never stack: the best single one wins (ties go to the earliest code).
            best = (
                max(candidates, key=lambda p: (p.percent, _reverse_code(p.code)))
                if candidates
                else None
            )
            self._best_promotion[key] = (best, len(candidates))
        return self._best_promotion[key]

    def price(self, product: Product) -> PriceRow:
        """Apply the net-price rule to one product annotated by `products_with_prices`."""
        _ = self.translate
        currency = product.currency
        row = PriceRow(
            product=product,
            currency=currency,
            list_price=product.in_force_list_price,
            map_price=product.in_force_map_price,
            price_list_code=product.in_force_list_code or "",
            price_list_from=product.in_force_list_from,
        )
        if row.list_price is None:
            row.steps.append(_("No list price is in force on this date."))
            return row
        row.steps.append(
            _(
                "List price %(price)s %(currency)s from price list %(list)s, "
                "in force since %(date)s."
            )
            % {
                "price": format_amount(row.list_price, currency),
                "currency": currency,
                "list": row.price_list_code,
                "date": row.price_list_from.isoformat(),
            }
        )
        override = self.overrides.get(product.pk)
        if override is not None and override.net_price is not None:
            after_discount = override.net_price
            row.discount_source = DiscountSource.OVERRIDE_NET_PRICE
            row.discount = (
                (HUNDRED - override.net_price / row.list_price * HUNDRED)
                if row.list_price
                else Decimal("0")
            )
            row.steps.append(
                _("Your agreed net price for this product: %(net)s %(currency)s.")
                % {"net": format_amount(override.net_price, currency), "currency": currency}
            )
        else:
            if override is not None:
                row.discount = override.discount
                row.discount_source = DiscountSource.OVERRIDE_DISCOUNT
                row.steps.append(
                    _("Your agreed discount for this product: %(pct)s%%.")
                    % {"pct": format_percent(row.discount)}
                )
            elif product.line_id in self.line_discounts:
                row.discount = self.line_discounts[product.line_id]
                row.discount_source = DiscountSource.TIER_LINE
                row.steps.append(
                    _("%(tier)s tier discount for %(line)s: %(pct)s%%.")
                    % {
                        "tier": self.tier.display_name,
                        "line": product.line.display_name,
                        "pct": format_percent(row.discount),
                    }
                )
            elif self.tier is not None:
                row.discount = self.tier.default_discount
                row.discount_source = DiscountSource.TIER_DEFAULT
                row.steps.append(
                    _("%(tier)s tier default discount: %(pct)s%%.")
                    % {"tier": self.tier.display_name, "pct": format_percent(row.discount)}
                )
            else:
                row.steps.append(_("No discount applies (no tier)."))
            after_discount = row.list_price * (HUNDRED - row.discount) / HUNDRED

        row.promotion, row.promotion_candidates = self.best_promotion(product)
        if row.promotion:
            row.steps.append(
                _("Promotion %(code)s: %(pct)s%% off, %(start)s to %(end)s (best of %(count)s).")
                % {
                    "code": row.promotion.code,
                    "pct": format_percent(row.promotion.percent),
                    "start": row.promotion.start.isoformat(),
                    "end": row.promotion.end.isoformat(),
                    "count": row.promotion_candidates,
                }
            )
            raw = after_discount * (HUNDRED - row.promotion.percent) / HUNDRED
        else:
            row.steps.append(_("No promotion applies."))
            raw = after_discount
        row.net_price = quantize(raw, currency)
        row.steps.append(
            _("Net price %(net)s %(currency)s, rounded half-up to %(digits)s decimals.")
            % {
                "net": format_amount(row.net_price, currency),
                "currency": currency,
                "digits": minor_unit(currency),
            }
        )
        return row


def _audiences(promotions: list[Promotion]) -> dict[int, dict[str, set[int]]]:
    """Each promotion's audience as ids: its tiers, territories and partners, read from the
    three link tables in one query (none when there is no promotion)."""
    audiences = {
        p.pk: {"tiers": set(), "territories": set(), "partners": set()} for p in promotions
    }
    if not promotions:
        return audiences
    ids = list(audiences)
    marks = ", ".join(["%s"] * len(ids))
    selects, params = [], []
    for kind, name in enumerate(_AUDIENCES):
        field = Promotion._meta.get_field(name)
        table = connection.ops.quote_name(field.m2m_db_table())
        source = connection.ops.quote_name(field.m2m_column_name())
        target = connection.ops.quote_name(field.m2m_reverse_name())
        selects.append(
            f"SELECT {kind}, {source}, {target} FROM {table} WHERE {source} IN ({marks})"  # noqa: S608
        )
        params += ids
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for kind, promotion_id, target_id in cursor.fetchall():
            audiences[promotion_id][_AUDIENCES[kind]].add(target_id)
    return audiences


_AUDIENCES = ("tiers", "territories", "partners")


def _reverse_code(code: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in code)


def price_sheet(
    *, partner: Partner, on: dt.date, products: QuerySet[Product] | None = None
) -> list[PriceRow]:
    """Net prices of `products` for `partner` on date `on` (default: every active product sold
    in the partner's currency). The partner's pricing context is read only when there is a
    product to price."""
    if products is None:
        products = Product.objects.filter(is_active=True, currency=partner.currency)
    priced = list(products_with_prices(products, on))
    if not priced:
        return []
    context = PriceContext(partner, on, product_ids=[product.pk for product in priced])
    return [context.price(product) for product in priced]


def price_row_as_dict(row: PriceRow) -> dict[str, str | None]:
    """The contract's fields: amounts and percentages as strings, promotion null when none."""
    return {
        "sku": row.product.sku,
        "list_price": format_amount(row.list_price, row.currency)
        if row.list_price is not None
        else None,
        "discount": format_percent(row.discount),
        "promotion": format_percent(row.promotion.percent) if row.promotion else None,
        "net_price": format_amount(row.net_price, row.currency)
        if row.net_price is not None
        else None,
        "map_price": format_amount(row.map_price, row.currency)
        if row.map_price is not None
        else None,
        "currency": row.currency,
    }


@dataclass
class UpcomingChange:
    sku: str
    name: str
    effective_from: dt.date
    price_list: str
    currency: str
    current: Decimal | None
    new: Decimal
    new_map: Decimal | None


def upcoming_price_changes(
    *, partner: Partner, on: dt.date, limit: int = 50
) -> list[UpcomingChange]:
    """List-price changes dated after `on`, with the price they replace (one query)."""
    date = connections[PriceListItem.objects.db].ops.adapt_datefield_value(on)
    items = (
        PriceListItem.objects.filter(
            price_list__effective_from__gt=on,
            product__is_active=True,
            price_list__currency=F("product__currency"),
        )
        .annotate(
            current=_in_force(
                "U0.list_price",
                date,
                _MONEY,
                product_id=f"{PriceListItem._meta.db_table}.product_id",
                currency=f"{PriceList._meta.db_table}.currency",
            )
        )
        .order_by("price_list__effective_from", "product__sku")
        .values_list(
            "product__sku",
            "product__name",
            "product__local_name",
            "price_list__effective_from",
            "price_list__code",
            "price_list__currency",
            "current",
            "list_price",
            "map_price",
        )[:limit]
    )
    return [
        UpcomingChange(
            sku=sku,
            name=_localised(name, local_name),
            effective_from=effective_from,
            price_list=code,
            currency=currency,
            current=current,
            new=new,
            new_map=new_map,
        )
        for sku, name, local_name, effective_from, code, currency, current, new, new_map in items
    ]
