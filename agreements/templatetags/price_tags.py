"""The price sheet's rows, written in Python: fifty rows of seven cells and a derivation each
cost more as template nodes than the prices themselves."""

import functools
import html

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

from prm.core.columns import column_labels
from prm.core.links import nav
from prm.core.templatetags.prm import money, percent

register = template.Library()


def _escape(value) -> str:
    """`conditional_escape(value)` as text: the same characters escaped, without the wrapper
    that looks for lazy strings in its arguments on each of a sheet's hundreds of cells."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


@functools.lru_cache(maxsize=64)
def _currency(currency: str) -> str:
    return f' <small class="text-body-secondary">{_escape(currency)}</small>'


def _amount(value, currency: str) -> str:
    if value is None:
        return "—"
    return money(value, currency) + _currency(currency)


class _Cells:
    """Cells that repeat down a sheet, each written once per table: a percentage, a product
    line, a promotion, a sentence of a derivation."""

    def __init__(self) -> None:
        self.percents: dict = {}
        self.lines: dict = {}
        self.promotions: dict = {}
        self.steps: dict[str, str] = {}

    def percent(self, value) -> str:
        text = self.percents.get(value)
        if text is None:
            text = self.percents[value] = percent(value)
        return text

    def line(self, product, local: bool) -> str:
        text = self.lines.get(product.line_id)
        if text is None:
            line = product.line
            text = self.lines[product.line_id] = _escape(
                line.local_name if local and line.local_name else line.name
            )
        return text

    def promotion(self, promotion) -> str:
        if promotion is None:
            return "—"
        text = self.promotions.get(promotion.pk)
        if text is None:
            text = self.promotions[promotion.pk] = (
                f"{self.percent(promotion.percent)}% "
                f'<span class="badge text-bg-info">{_escape(promotion.code)}</span>'
            )
        return text

    def step(self, step: str) -> str:
        text = self.steps.get(step)
        if text is None:
            text = self.steps[step] = f"<li>{_escape(step)}</li>"
        return text


@register.simple_tag
def price_rows(rows, is_vendor):
    """The `<tr>`s of the price sheet: each product's prices and how its net price was derived,
    with a link to question it for partner users.

    {% price_rows rows is_vendor %}
    """
    labels = column_labels(
        list=gettext_noop("List price"),
        discount=gettext_noop("Discount"),
        promotion=gettext_noop("Promotion"),
        net=gettext_noop("Net price"),
        map=gettext_noop("MAP"),
    )
    how = _escape(gettext("How is this price derived?"))
    question = _escape(gettext("Question this price"))
    case_open = nav("case_open")
    local = (get_language() or "").startswith("zh")
    cells = _Cells()
    out = []
    for row in rows:
        product, currency = row.product, row.currency
        steps = "".join([cells.step(step) for step in row.steps])
        ask = (
            ""
            if is_vendor
            else f'<a class="small" href="{case_open}?product={product.pk}">{question}</a>'
        )
        name = product.local_name if local and product.local_name else product.name
        out.append(
            "<tr>\n"
            f'<td class="stack-title text-nowrap">{_escape(product.sku)}</td>\n'
            '<td class="stack-title">\n'
            f"{_escape(name)} "
            f'<span class="small text-body-secondary">· {cells.line(product, local)}</span>\n'
            '<details class="derivation">\n'
            f"<summary>{how}</summary>\n"
            f"<ol>{steps}</ol>\n"
            f"{ask}\n"
            "</details>\n"
            "</td>\n"
            f'<td class="num" data-label="{labels["list"]}">'
            f"{_amount(row.list_price, currency)}</td>\n"
            f'<td class="num" data-label="{labels["discount"]}">'
            f"{cells.percent(row.discount)}%</td>\n"
            f'<td class="num" data-label="{labels["promotion"]}">'
            f"{cells.promotion(row.promotion)}</td>\n"
            f'<td class="num fw-semibold" data-label="{labels["net"]}" data-key="net-price">'
            f"{_amount(row.net_price, currency)}</td>\n"
            f'<td class="num" data-label="{labels["map"]}">{money(row.map_price, currency)}</td>\n'
            "</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def upcoming_rows(changes):
    """The `<tr>`s of the upcoming list-price changes.

    {% upcoming_rows upcoming %}
    """
    e = _escape
    sku, product = e(gettext("SKU")), e(gettext("Product"))
    now, new = e(gettext("List price now")), e(gettext("New list price"))
    return mark_safe(  # noqa: S308 - every value is escaped
        "\n".join(
            f'<tr><td class="stack-title">{change.effective_from:%Y-%m-%d}</td>'
            f'<td data-label="{sku}">{e(change.sku)}</td>'
            f'<td data-label="{product}">{e(change.name)}</td>'
            f'<td class="num" data-label="{now}">{money(change.current, change.currency)}</td>'
            f'<td class="num fw-semibold" data-label="{new}" data-key="net-price">'
            f"{_amount(change.new, change.currency)}</td></tr>"
            for change in changes
        )
    )
