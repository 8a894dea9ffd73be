"""The price sheet's rows, written in Python: fifty rows of seven cells and a derivation each
cost more as template nodes than the prices themselves."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

from prm.core.columns import column_labels
from prm.core.links import nav
from prm.core.templatetags.prm import money, percent

register = template.Library()


def _amount(value, currency: str) -> str:
    if value is None:
        return "—"
    code = conditional_escape(currency)
    return f'{money(value, currency)} <small class="text-body-secondary">{code}</small>'


@register.simple_tag
def price_rows(rows, is_vendor):
    """The `<tr>`s of the price sheet: each product's prices and how its net price was derived,
    with a link to question it for partner users.

    {% price_rows rows is_vendor %}
    """
    e = conditional_escape
    labels = column_labels(
        list=gettext_noop("List price"),
        discount=gettext_noop("Discount"),
        promotion=gettext_noop("Promotion"),
        net=gettext_noop("Net price"),
        map=gettext_noop("MAP"),
    )
    how = e(gettext("How is this price derived?"))
    question = e(gettext("Question this price"))
    case_open = nav("case_open")
    out = []
    for row in rows:
        product, currency = row.product, row.currency
        steps = "".join(f"<li>{e(step)}</li>" for step in row.steps)
        ask = (
            ""
            if is_vendor
            else f'<a class="small" href="{case_open}?product={product.pk}">{question}</a>'
        )
        promotion = (
            f"{percent(row.promotion.percent)}% "
            f'<span class="badge text-bg-info">{e(row.promotion.code)}</span>'
            if row.promotion
            else "—"
        )
        out.append(
            "<tr>\n"
            f'<td class="stack-title text-nowrap">{e(product.sku)}</td>\n'
            '<td class="stack-title">\n'
            f"{e(product.display_name)} "
            f'<span class="small text-body-secondary">· {e(product.line.display_name)}</span>\n'
            '<details class="derivation">\n'
            f"<summary>{how}</summary>\n"
            f"<ol>{steps}</ol>\n"
            f"{ask}\n"
            "</details>\n"
            "</td>\n"
            f'<td class="num" data-label="{labels["list"]}">'
            f"{_amount(row.list_price, currency)}</td>\n"
            f'<td class="num" data-label="{labels["discount"]}">{percent(row.discount)}%</td>\n'
            f'<td class="num" data-label="{labels["promotion"]}">{promotion}</td>\n'
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
    e = conditional_escape
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
