"""Writes on prices: every change honours the price-change notice of the agreements it affects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from prm.core.errors import DomainError
from prm.core.events import event_record

from ..models import PriceList, PriceListItem, Product
from ..selectors import agreements_affected_by_price_change


def price_in_force(*, product: Product, on: dt.date, exclude_list: PriceList | None = None):
    qs = PriceListItem.objects.filter(
        product=product,
        price_list__effective_from__lte=on,
        price_list__currency=product.currency,
    )
    if exclude_list is not None:
        qs = qs.exclude(price_list=exclude_list)
    return qs.order_by("-price_list__effective_from", "-price_list__id").first()


def price_change_notice_errors(
    *, products: list[Product], effective: dt.date, today: dt.date
) -> list[str]:
    """Messages naming each agreement whose price-change notice `effective` would break."""
    line_ids = {p.line_id for p in products}
    messages = []
    for agreement in agreements_affected_by_price_change(line_ids=line_ids, on=today):
        notice = agreement.version_in_force.price_notice_days
        earliest = today + dt.timedelta(days=notice)
        if effective < earliest:
            messages.append(
                _(
                    "Agreement %(number)s (%(partner)s) requires %(days)s days' notice of price "
                    "changes: the earliest effective date is %(earliest)s."
                )
                % {
                    "number": agreement.number,
                    "partner": agreement.partner.code,
                    "days": notice,
                    "earliest": earliest.isoformat(),
                }
            )
    return messages


def is_price_change(
    *, product: Product, price_list: PriceList, list_price: Decimal, map_price: Decimal | None
) -> bool:
    """Whether setting this item changes what the product costs from the list's date on."""
    previous = price_in_force(
        product=product, on=price_list.effective_from, exclude_list=price_list
    )
    current = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    reference = current or previous
    if reference is None:
        return False  # a new product's first price is an introduction, not a change
    return (reference.list_price, reference.map_price) != (list_price, map_price)


@transaction.atomic
def price_list_item_set(
    *,
    actor,
    price_list: PriceList,
    product: Product,
    list_price: Decimal,
    map_price: Decimal | None,
    today: dt.date,
) -> PriceListItem:
    """Set a product's price in a price list, refusing changes dated inside a notice period."""
    if price_list.currency != product.currency:
        raise DomainError(
            _("%(sku)s is priced in %(currency)s, not in this list's currency.")
            % {"sku": product.sku, "currency": product.currency},
            field="product",
        )
    if is_price_change(
        product=product, price_list=price_list, list_price=list_price, map_price=map_price
    ):
        effective = max(price_list.effective_from, today)
        errors = price_change_notice_errors(products=[product], effective=effective, today=today)
        if errors:
            raise DomainError(" ".join(errors), field="list_price")
    item = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    before = (
        {"list_price": item.list_price, "map_price": item.map_price} if item is not None else {}
    )
    if item is None:
        item = PriceListItem(price_list=price_list, product=product)
    item.list_price = list_price
    item.map_price = map_price
    item.full_clean()
    item.save()
    after = {"list_price": list_price, "map_price": map_price}
    if before != after:
        event_record(
            actor=actor,
            verb="price.set",
            target=item,
            before=before,
            after={**after, "price_list": price_list.code, "sku": product.sku},
        )
    return item
