"""The net-price rule, with the derivation of every figure.

Net price of product S for partner P on date D: the list price of S in force on D; minus the
discount (P's override for S if any, else P's tier discount for S's line, else the tier's default
discount); then minus the best single promotion active on D whose audience includes P and whose
scope includes S (promotions never stack); rounded half-up to the currency's minor unit. MAP is
shown beside it and does not change it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.db import connections
from django.db.models import (
    CharField,
    DateField,
    DecimalField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language, gettext, override

from partners.models import Partner, Tier
from prm.core.money import format_amount, format_percent, minor_unit, quantize
from prm.core.prepared import PreparedIdsQuery, PreparedPages, PreparedQuery

from .models import (
    PriceList,
    PriceListItem,
    Product,
    ProductLine,
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


def products_with_prices(
    products: QuerySet[Product], on: dt.date, *, partner: Partner | int | None = None
) -> QuerySet[Product]:
    """Annotate each product with the list price and MAP in force on `on`, and the code and
    date of their price list (one query): the latest list in the product's currency in force
    on that date, the newest list first when two start the same day. With `partner` (or its
    id), also with the partner's override of the product (`with_overrides`)."""
    date = connections[products.db].ops.adapt_datefield_value(on)
    products = products.select_related("line").annotate(
        in_force_list_price=_in_force("U0.list_price", date, _MONEY),
        in_force_map_price=_in_force("U0.map_price", date, _MONEY),
        in_force_list_code=_in_force("U1.code", date, CharField()),
        in_force_list_from=_in_force("U1.effective_from", date, DateField()),
    )
    return products if partner is None else with_overrides(products, partner)


def with_overrides(products: QuerySet[Product], partner: Partner | int) -> QuerySet[Product]:
    """Annotate each product with the partner's override of its price, if any: its discount
    (`override_discount`) or its net price (`override_net_price`), read by a join."""
    agreed = FilteredRelation("overrides", condition=Q(overrides__partner=partner))
    return products.annotate(
        partner_override=agreed,
        override_discount=F("partner_override__discount"),
        override_net_price=F("partner_override__net_price"),
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


def price_sheet_products(*, currency: str, search: str = "", line: str = "") -> QuerySet[Product]:
    """The active products sold in `currency` whose SKU or name contains `search` and whose
    line has the code `line` (when given), in SKU order."""
    products = Product.objects.filter(is_active=True, currency=currency)
    if search:
        products = products.filter(
            Q(sku__icontains=search) | Q(name__icontains=search) | Q(local_name__icontains=search)
        )
    if line:
        products = products.filter(line__code=line)
    return products.order_by("sku")


_PRODUCT_LINES = PreparedQuery(lambda: ProductLine.objects.order_by("code"))


def product_line_list() -> list[ProductLine]:
    """Every product line, in code order (the price sheet's filter), read by SQL compiled
    once."""
    return _PRODUCT_LINES()


# The price sheet's page size: the prices of a page's products are read in one query.
PRICE_PAGE_SIZE = 50

# The columns of the products of a price sheet's page, in the order of SheetProduct's fields
# (their lines are the filter's).
_PAGE_PRODUCT_FIELDS = (
    "pk",
    "sku",
    "name",
    "local_name",
    "line_id",
    "currency",
    "override_discount",
    "override_net_price",
)


class SheetProduct:
    """A product of a page of a price sheet, with the attributes `products_with_prices(...,
    partner=...)` annotates (its list price, MAP and price list in force, the partner's
    override): what pricing a row and writing it read, without a model instance."""

    __slots__ = (
        *("pk", "sku", "name", "local_name", "line_id", "currency"),
        *("override_discount", "override_net_price", "line"),
        *("in_force_list_price", "in_force_map_price", "in_force_list_code"),
        "in_force_list_from",
    )

    def __init__(self, row: tuple, line: ProductLine | None, in_force: tuple) -> None:
        """`row`: the values of `_PAGE_PRODUCT_FIELDS`; `in_force`: the list price, MAP, price
        list code and date in force (or Nones)."""
        (
            self.pk,
            self.sku,
            self.name,
            self.local_name,
            self.line_id,
            self.currency,
            self.override_discount,
            self.override_net_price,
        ) = row
        self.line = line
        (
            self.in_force_list_price,
            self.in_force_map_price,
            self.in_force_list_code,
            self.in_force_list_from,
        ) = in_force

    def __repr__(self) -> str:
        return f"<SheetProduct {self.sku}>"


class _Counted(Subquery):
    """The number of rows of a queryset, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted_rows)"
    output_field = IntegerField()


def _tier_columns(tier: int) -> dict[str, Subquery]:
    """The columns of the tier of id `tier` that prices read (`tier_name`, `tier_local_name`,
    `tier_default_discount`, null when there is no such tier) and its discount for the product
    line of each row (`tier_discount`, null when it has none), as scalar subqueries."""
    own = Tier.objects.filter(pk=tier).order_by()
    line_discount = TierLineDiscount.objects.filter(tier=tier, line=OuterRef("pk")).order_by()
    return {
        "tier_name": Subquery(own.values("name")),
        "tier_local_name": Subquery(own.values("local_name")),
        "tier_default_discount": Subquery(own.values("default_discount")),
        "tier_discount": Subquery(line_discount.values("percent")),
    }


# A product's price list items, newest first as `_in_force` orders them (their columns in
# `_ITEM_FIELDS`, from a product's row).
_ITEM_ORDER = ("-price_items__price_list__effective_from", "-price_items__price_list_id")
_ITEM_FIELDS = (
    "price_items__list_price",
    "price_items__map_price",
    "price_items__price_list__code",
    "price_items__price_list__effective_from",
    "price_items__price_list__currency",
)


def _price_page_queries(currency: str, search: str, line: str) -> tuple[PreparedQuery, ...]:
    """The products of `price_sheet_products(...)` with a partner's overrides; the first
    page of them, each product once for each of its price list items (with the item's columns,
    `_ITEM_FIELDS`, in the order `_price_items` reads them); and every product line (the
    filter's choices), each with the number of those products (`sheet_count`) and with a
    tier's columns and discount for it (`_tier_columns`); each compiled once."""
    products = functools.partial(price_sheet_products, currency=currency, search=search, line=line)

    def rows(partner: int) -> QuerySet[Product]:
        return with_overrides(products(), partner).values_list(*_PAGE_PRODUCT_FIELDS)

    def first_page(partner: int) -> QuerySet[Product]:
        page = products().values("pk")[:PRICE_PAGE_SIZE]
        return (
            with_overrides(Product.objects.filter(pk__in=page), partner)
            .order_by("sku", *_ITEM_ORDER)
            .values_list(*_PAGE_PRODUCT_FIELDS, *_ITEM_FIELDS)
        )

    def lines(tier: int) -> QuerySet[ProductLine]:
        listed = _Counted(products().order_by().values("pk"))
        return (
            ProductLine.objects.order_by("code")
            .annotate(sheet_count=listed)
            .annotate(**_tier_columns(tier))
        )

    # A search is whatever was typed: only the unfiltered sheet is planned once on the server.
    plan_once = not (search or line)
    return (
        PreparedQuery(rows, "partner", plan_once=plan_once),
        PreparedQuery(first_page, "partner", plan_once=plan_once),
        PreparedQuery(lines, "tier", plan_once=plan_once),
    )


# The id of no tier, for a partner without one.
_NO_TIER = 0


_sheet_queries = functools.cache(_price_page_queries)
_filtered_sheet_queries = functools.lru_cache(maxsize=64)(_price_page_queries)


def _price_items(ids: list[int]) -> QuerySet:
    """The price list items of the products of `ids`, with their list's code, date and
    currency, each product's newest first as `_in_force` orders them: the one in force on a
    day is the first dated that day or before in the product's currency. Every list's items
    are read (a few a product), so that the plan, made once, reads the items by product."""
    return (
        PriceListItem.objects.filter(product__in=ids)
        .order_by("product_id", "-price_list__effective_from", "-price_list_id")
        .values_list(
            "product_id",
            "list_price",
            "map_price",
            "price_list__code",
            "price_list__effective_from",
            "price_list__currency",
        )
    )


_PRICE_ITEMS = PreparedIdsQuery(_price_items, PRICE_PAGE_SIZE, plan_once=True)
_NO_PRICE = (None, None, None, None)


def _prices_in_force(items, currencies: dict[int, str], on: dt.date) -> dict[int, tuple]:
    """The list price, MAP, price list code and date in force on `on` of each product, from
    `items` (product id, list price, MAP, code, date, currency; each product's newest first):
    the first dated `on` or before in the product's currency (`currencies`)."""
    in_force: dict[int, tuple] = {}
    for product_id, list_price, map_price, code, since, currency in items:
        if (
            product_id not in in_force
            and since is not None
            and since <= on
            and currency == currencies[product_id]
        ):
            in_force[product_id] = (list_price, map_price, code, since)
    return in_force


def _sheet_products(
    rows: list[tuple], *, on: dt.date, lines: dict[int, ProductLine]
) -> list[SheetProduct]:
    """A page's rows of `_PAGE_PRODUCT_FIELDS` as SheetProducts, with their prices in force on
    `on` and their lines from `lines`."""
    currencies = {row[0]: row[5] for row in rows}
    in_force = _prices_in_force(_PRICE_ITEMS(list(currencies)), currencies, on)
    return [SheetProduct(row, lines.get(row[4]), in_force.get(row[0], _NO_PRICE)) for row in rows]


_PRODUCT_COLUMNS = len(_PAGE_PRODUCT_FIELDS)


class _SheetPages(PreparedPages):
    """The pages of a price sheet: the first page, which nearly every request reads, in one
    query with its prices (`first`, run with `ids`); the others as PreparedPages reads them."""

    def __init__(
        self, first: PreparedQuery, *args, on: dt.date, lines: dict[int, ProductLine]
    ) -> None:
        super().__init__(*args, functools.partial(_sheet_products, on=on, lines=lines))
        self._first, self._on, self._lines = first, on, lines

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        if start or not 0 < stop <= PRICE_PAGE_SIZE:
            return super().__getitem__(window)
        products: dict[int, tuple] = {}
        items = []
        for row in self._first(**self._ids):
            products.setdefault(row[0], row[:_PRODUCT_COLUMNS])
            items.append((row[0], *row[_PRODUCT_COLUMNS:]))
        currencies = {pk: product[5] for pk, product in products.items()}
        in_force = _prices_in_force(items, currencies, self._on)
        return [
            SheetProduct(product, self._lines.get(product[4]), in_force.get(pk, _NO_PRICE))
            for pk, product in products.items()
        ][:stop]


def price_sheet_pages(
    *, partner: Partner, on: dt.date, search: str = "", line: str = ""
) -> tuple[PreparedPages, list[ProductLine]]:
    """The products of the partner's price sheet (`price_sheet_products` in its currency) for
    a Paginator of PRICE_PAGE_SIZE products a page, each page's products annotated as
    `products_with_prices(..., partner=partner)` annotates them on `on` (SheetProducts), and
    every product line (the filter's choices, `product_line_list`), which also carry the
    partner's tier and its discount for them (for `price_products(..., lines=...)`): the lines,
    the tier and the number of products are read in one query, the first page with its prices
    in another (each later page in one, and its prices in a third), all compiled once per
    currency and filter."""
    queries = _filtered_sheet_queries if search or line else _sheet_queries
    rows, first_page, lines_query = queries(partner.currency, search, line)
    lines = lines_query(tier=partner.tier_id or _NO_TIER)
    pages = _SheetPages(
        first_page,
        rows,
        lines[0].sheet_count if lines else 0,
        {"partner": partner.pk},
        on=on,
        lines={choice.pk: choice for choice in lines},
    )
    return pages, lines


class _Override(NamedTuple):
    """A partner's override of one product's price: a discount or a net price."""

    discount: Decimal | None
    net_price: Decimal | None


def _promotions(partner: int, on: dt.date) -> QuerySet[Promotion]:
    """The promotions active on `on` whose audience includes the partner of id `partner`: every
    partner when they name no tier, territory or partner, else the partner's tier, one of its
    territories or the partner itself."""
    tiers, territories, partners = (
        Promotion._meta.get_field(name)
        .remote_field.through.objects.filter(promotion=OuterRef("pk"))
        .order_by()
        for name in _AUDIENCES
    )
    own_territories = Partner.territories.through.objects.filter(partner=partner).values(
        "territory_id"
    )
    return Promotion.objects.filter(start__lte=on, end__gte=on).filter(
        (~Exists(tiers) & ~Exists(territories) & ~Exists(partners))
        | Exists(tiers.filter(tier__partners=partner))
        | Exists(territories.filter(territory__in=own_territories))
        | Exists(partners.filter(partner=partner))
    )


_AUDIENCES = ("tiers", "territories", "partners")
_PROMOTIONS = PreparedQuery(_promotions, "partner", dates=("on",), plan_once=True)


def _tier_discounts(tier: int) -> QuerySet[Tier]:
    """The tier of id `tier`, once for each of its line discounts (`discount_line`,
    `discount_percent`), or once without."""
    return (
        Tier.objects.filter(pk=tier)
        .annotate(
            discount_line=F("line_discounts__line_id"),
            discount_percent=F("line_discounts__percent"),
        )
        .order_by()
    )


_TIER_DISCOUNTS = PreparedQuery(_tier_discounts, "tier", plan_once=True)


def _sheet_tier(
    partner: Partner, lines: list[ProductLine]
) -> tuple[Tier | None, dict[int, Decimal]]:
    """The partner's tier and its discount for each product line that has one, from `lines`
    of `price_sheet_pages` (the tier's columns that prices read)."""
    first = lines[0] if lines else None
    if partner.tier_id is None or first is None or first.tier_name is None:
        return None, {}
    tier = Tier(
        pk=partner.tier_id,
        name=first.tier_name,
        local_name=first.tier_local_name,
        default_discount=first.tier_default_discount,
    )
    return tier, {line.pk: line.tier_discount for line in lines if line.tier_discount is not None}


def _tier_and_discounts(partner: Partner) -> tuple[Tier | None, dict[int, Decimal]]:
    """The partner's tier (`partner.tier`) and its discount for each product line that has one,
    read in one query compiled once."""
    if partner.tier_id is None:
        return None, {}
    rows = _TIER_DISCOUNTS(tier=partner.tier_id)
    if not Partner.tier.is_cached(partner):
        Partner.tier.field.set_cached_value(partner, rows[0] if rows else None)
    discounts = {
        row.discount_line: row.discount_percent for row in rows if row.discount_line is not None
    }
    return partner.tier, discounts


@functools.lru_cache(maxsize=16)
def _translator(language: str | None):
    """`gettext` in `language` (the active language when a sheet is priced), each message
    translated once per process: the derivations of every sheet say the same sentences."""

    @cache
    def translate(message: str) -> str:
        with override(language):
            return gettext(message)

    return translate


class PriceContext:
    """Everything about a partner that prices depend on, read once (a fixed number of queries)."""

    def __init__(
        self,
        partner: Partner,
        on: dt.date,
        priced: list[Product] | list[SheetProduct],
        lines: list[ProductLine] | None = None,
    ) -> None:
        """`priced`: the products to be priced, annotated by `products_with_prices(...,
        partner=partner)` (each holds the partner's override of it); `lines`: those of
        `price_sheet_pages`, which carry the partner's tier, read then."""
        self.partner = partner
        self.on = on
        self.tier, line_discounts = (
            _tier_and_discounts(partner) if lines is None else _sheet_tier(partner, lines)
        )
        self.line_discounts = line_discounts if self.tier else {}
        self.overrides = {
            product.pk: _Override(product.override_discount, product.override_net_price)
            for product in priced
            if product.override_discount is not None or product.override_net_price is not None
        }
        # Every row's derivation says the same sentences: each is translated once per process
        # and language, and those about a line, a tier or a promotion are written once per sheet.
        self.translate = _translator(get_language())
        self._sentences: dict[tuple, str] = {}
        self._cut: dict[tuple, list[str]] = {}
        self._best_promotion: dict[tuple, tuple[Promotion | None, int, str]] = {}
        self.promotions = _PROMOTIONS(partner=partner.pk, on=on)
        self._promoted_products = {p.product_id for p in self.promotions if p.product_id}

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
        best, count, _sentence = self._promotion(product)
        return best, count

    def _promotion(self, product: Product) -> tuple[Promotion | None, int, str]:
        """`best_promotion(product)` and the derivation's sentence about it."""
        pk = product.pk if product.pk in self._promoted_products else None
        key = (product.line_id, pk)
        answer = self._best_promotion.get(key)
        if answer is None:
            candidates = self.promotions_for(product)
            # Promotions never stack: the best single one wins (ties go to the earliest code).
            best = (
                max(candidates, key=lambda p: (p.percent, _reverse_code(p.code)))
                if candidates
                else None
            )
            answer = self._best_promotion[key] = (
                best,
                len(candidates),
                self._promotion_sentence(best, len(candidates)),
            )
        return answer

    def _promotion_sentence(self, promotion: Promotion | None, count: int) -> str:
        _ = self.translate
        if promotion is None:
            return _("No promotion applies.")
        return _("Promotion %(code)s: %(pct)s%% off, %(start)s to %(end)s (best of %(count)s).") % {
            "code": promotion.code,
            "pct": format_percent(promotion.percent),
            "start": promotion.start.isoformat(),
            "end": promotion.end.isoformat(),
            "count": count,
        }

    def _discount(self, product: Product | SheetProduct) -> tuple[Decimal, str, str]:
        """The discount of `product` when no agreed net price applies, where it comes from,
        and its sentence."""
        override = self.overrides.get(product.pk)
        if override is not None:
            key = ("override", override.discount)
            discount, source = override.discount, DiscountSource.OVERRIDE_DISCOUNT
        elif product.line_id in self.line_discounts:
            key = ("line", product.line_id)
            discount, source = self.line_discounts[product.line_id], DiscountSource.TIER_LINE
        elif self.tier is not None:
            key = ("tier",)
            discount, source = self.tier.default_discount, DiscountSource.TIER_DEFAULT
        else:
            key = ("none",)
            discount, source = Decimal("0"), DiscountSource.NONE
        sentence = self._sentences.get(key)
        if sentence is None:
            sentence = self._sentences[key] = self._discount_sentence(key[0], discount, product)
        return discount, source, sentence

    def _discount_sentence(
        self, source: str, discount: Decimal, product: Product | SheetProduct
    ) -> str:
        _ = self.translate
        if source == "override":
            return _("Your agreed discount for this product: %(pct)s%%.") % {
                "pct": format_percent(discount)
            }
        if source == "line":
            return _("%(tier)s tier discount for %(line)s: %(pct)s%%.") % {
                "tier": self.tier.display_name,
                "line": product.line.display_name,
                "pct": format_percent(discount),
            }
        if source == "tier":
            return _("%(tier)s tier default discount: %(pct)s%%.") % {
                "tier": self.tier.display_name,
                "pct": format_percent(discount),
            }
        return _("No discount applies (no tier).")

    def _parts(self, key: tuple, write) -> list[str]:
        """The sentence `write()` writes with NUL in place of the one value that differs from
        row to row, cut there: `value.join(parts)` is the sentence with `value` (the values
        substituted are never read as format, and text holds no NUL)."""
        parts = self._cut.get(key)
        if parts is None:
            parts = self._cut[key] = write().split("\0")
        return parts

    def _list_price_sentence(self, row: PriceRow) -> str:
        _ = self.translate
        parts = self._parts(
            ("list", row.currency, row.price_list_code, row.price_list_from),
            lambda: (
                _(
                    "List price %(price)s %(currency)s from price list %(list)s, "
                    "in force since %(date)s."
                )
                % {
                    "price": "\0",
                    "currency": row.currency,
                    "list": row.price_list_code,
                    "date": row.price_list_from.isoformat(),
                }
            ),
        )
        return format_amount(row.list_price, row.currency).join(parts)

    def _net_price_sentence(self, row: PriceRow) -> str:
        _ = self.translate
        parts = self._parts(
            ("net", row.currency),
            lambda: (
                _("Net price %(net)s %(currency)s, rounded half-up to %(digits)s decimals.")
                % {"net": "\0", "currency": row.currency, "digits": minor_unit(row.currency)}
            ),
        )
        # The net price is rounded already: format_amount would give the same text.
        return format(row.net_price, "f").join(parts)

    def price(self, product: Product | SheetProduct) -> PriceRow:
        """Apply the net-price rule to one product annotated by `products_with_prices` (or a
        SheetProduct)."""
        currency = product.currency
        row = PriceRow(
            product=product,
            currency=currency,
            list_price=product.in_force_list_price,
            map_price=product.in_force_map_price,
            price_list_code=product.in_force_list_code or "",
            price_list_from=product.in_force_list_from,
        )
        _ = self.translate
        steps = row.steps
        if row.list_price is None:
            steps.append(_("No list price is in force on this date."))
            return row
        steps.append(self._list_price_sentence(row))
        override = self.overrides.get(product.pk)
        if override is not None and override.net_price is not None:
            after_discount = override.net_price
            row.discount_source = DiscountSource.OVERRIDE_NET_PRICE
            row.discount = (
                (HUNDRED - override.net_price / row.list_price * HUNDRED)
                if row.list_price
                else Decimal("0")
            )
            steps.append(
                _("Your agreed net price for this product: %(net)s %(currency)s.")
                % {"net": format_amount(override.net_price, currency), "currency": currency}
            )
        else:
            row.discount, row.discount_source, sentence = self._discount(product)
            steps.append(sentence)
            after_discount = row.list_price * (HUNDRED - row.discount) / HUNDRED

        row.promotion, row.promotion_candidates, sentence = self._promotion(product)
        steps.append(sentence)
        if row.promotion:
            raw = after_discount * (HUNDRED - row.promotion.percent) / HUNDRED
        else:
            raw = after_discount
        row.net_price = quantize(raw, currency)
        steps.append(self._net_price_sentence(row))
        return row


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
    priced = list(products_with_prices(products, on, partner=partner))
    return price_products(partner=partner, on=on, priced=priced)


def price_products(
    *,
    partner: Partner,
    on: dt.date,
    priced: list[Product] | list[SheetProduct],
    lines: list[ProductLine] | None = None,
) -> list[PriceRow]:
    """Net prices for `partner` on date `on` of the products `priced`, annotated by
    `products_with_prices(..., partner=partner)` or a page of `price_sheet_pages` (then with
    its `lines`, which carry the partner's tier: it is not read again)."""
    if not priced:
        return []
    context = PriceContext(partner, on, priced, lines)
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


def _upcoming(on: dt.date, limit: int) -> QuerySet:
    date = connections[PriceListItem.objects.db].ops.adapt_datefield_value(on)
    return (
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


@functools.lru_cache(maxsize=8)
def _upcoming_query(limit: int) -> PreparedQuery:
    return PreparedQuery(lambda on: _upcoming(on, limit), dates=("on",), plan_once=True)


def upcoming_price_changes(
    *, partner: Partner, on: dt.date, limit: int = 50
) -> list[UpcomingChange]:
    """List-price changes dated after `on`, with the price they replace (one query, compiled
    once)."""
    local = (get_language() or "").startswith("zh")
    return [
        UpcomingChange(
            sku=sku,
            name=local_name if local and local_name else name,
            effective_from=effective_from,
            price_list=code,
            currency=currency,
            current=current,
            new=new,
            new_map=new_map,
        )
        for sku, name, local_name, effective_from, code, currency, current, new, new_map in (
            _upcoming_query(limit)(on=on)
        )
    ]
