"""The price sheet's rows, written in Python: fifty rows of seven cells and a derivation each
cost more as template nodes than the prices themselves."""

import functools
import html
from typing import NamedTuple

from django import template
from django.utils.formats import localize
from django.utils.http import quote
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from prm.core.columns import column_labels
from prm.core.html import conditional_escape as _escape
from prm.core.kept import Kept
from prm.core.links import nav
from prm.core.money import quantize
from prm.core.templatetags.prm import percent

register = template.Library()


@functools.lru_cache(maxsize=64)
def _currency(currency: str) -> str:
    return f' <small class="text-body-secondary">{_escape(currency)}</small>'


class _Cells:
    """Cells that repeat down a sheet, each written once per table: a percentage, a product
    line, a promotion, a sentence of a derivation (`steps`, as `<li>`), the currency after an
    amount."""

    def __init__(self) -> None:
        self.percents: dict = {}
        self.lines: dict = {}
        self.promotions: dict = {}
        self.steps: dict[str, str] = {}
        self.currencies: dict[str, str] = {}

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

    def currency(self, currency: str) -> str:
        text = self.currencies.get(currency)
        if text is None:
            text = self.currencies[currency] = _currency(currency)
        return text


def _grouped(value, currency: str) -> str:
    """`money(value, currency)` for a Decimal or None: grouped digits at the currency's minor
    unit, or a dash."""
    if value is None:
        return "—"
    return f"{quantize(value, currency):,f}"


class _RowParts(NamedTuple):
    """What stands between the values of a price sheet's row, the same on every row."""

    after_line: str  # after the product line: the derivation's summary, then its list opens
    ask_open: str  # the link to question the price, up to the product's id
    ask_close: str  # the rest of that link, the end of the derivation and the list price cell
    vendor_close: str  # the end of the derivation and the list price cell, without the link
    discount_cell: str
    promotion_cell: str
    net_cell: str
    map_cell: str


def _row_parts() -> _RowParts:
    """The parts of `price_rows` in the active language (the labels translated and escaped)."""
    labels = column_labels(
        list=gettext_noop("List price"),
        discount=gettext_noop("Discount"),
        promotion=gettext_noop("Promotion"),
        net=gettext_noop("Net price"),
        map=gettext_noop("MAP"),
    )
    how = _escape(gettext("How is this price derived?"))
    question = _escape(gettext("Question this price"))
    list_cell = f'</td>\n<td class="num" data-label="{labels["list"]}">'
    return _RowParts(
        after_line=f'</span>\n<details class="derivation">\n<summary>{how}</summary>\n<ol>',
        ask_open=f'</ol>\n<a class="small" href="{nav("case_open")}?product=',
        ask_close=f'">{question}</a>\n</details>\n{list_cell}',
        vendor_close=f"</ol>\n\n</details>\n{list_cell}",
        discount_cell=f'</td>\n<td class="num" data-label="{labels["discount"]}">',
        promotion_cell=f'%</td>\n<td class="num" data-label="{labels["promotion"]}">',
        net_cell=(
            f'</td>\n<td class="num fw-semibold" data-label="{labels["net"]}" data-key="net-price">'
        ),
        map_cell=f'</td>\n<td class="num" data-label="{labels["map"]}">',
    )


@register.simple_tag
def price_rows(rows, is_vendor):
    """The `<tr>`s of the price sheet: each product's prices and how its net price was derived,
    with a link to question it for partner users. What stands between the values is written
    once per process and language; the cells that repeat down the sheet once per table.

    {% price_rows rows is_vendor %}
    """
    language = get_language()
    parts = _SECTIONS.get(("rows", language, nav("case_open")), _row_parts)
    local = (language or "").startswith("zh")
    cells = _Cells()
    escape = html.escape  # the product's columns are text read from the database
    steps, lines, units = cells.steps, cells.lines, cells.currencies
    out = []
    for row in rows:
        product, currency = row.product, row.currency
        unit = units.get(currency) or cells.currency(currency)
        line = lines.get(product.line_id) or cells.line(product, local)
        # A derivation's sentences about a discount or a promotion are shared by many rows.
        items = []
        for step in row.steps:
            item = steps.get(step)
            if item is None:
                item = steps[step] = f"<li>{_escape(step)}</li>"
            items.append(item)
        name = product.local_name if local and product.local_name else product.name
        close = (
            parts.vendor_close if is_vendor else f"{parts.ask_open}{product.pk}{parts.ask_close}"
        )
        list_price, net_price = row.list_price, row.net_price
        # The net price is rounded to the currency's minor unit already.
        out.append(
            '<tr>\n<td class="stack-title text-nowrap">'
            f'{escape(product.sku)}</td>\n<td class="stack-title">\n{escape(name)} '
            f'<span class="small text-body-secondary">· {line}{parts.after_line}'
            f"{''.join(items)}{close}"
            f"{'—' if list_price is None else _grouped(list_price, currency) + unit}"
            f"{parts.discount_cell}{cells.percent(row.discount)}"
            f"{parts.promotion_cell}{cells.promotion(row.promotion)}"
            f"{parts.net_cell}{'—' if net_price is None else f'{net_price:,f}{unit}'}"
            f"{parts.map_cell}{_grouped(row.map_price, currency)}</td>\n</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


def _upcoming_cells() -> tuple[str, str, str, str]:
    """What stands between the values of an upcoming change's row in the active language:
    before its SKU, its product, its current and its new list price."""
    e = _escape
    sku, product = e(gettext("SKU")), e(gettext("Product"))
    now, new = e(gettext("List price now")), e(gettext("New list price"))
    return (
        f'</td><td data-label="{sku}">',
        f'</td><td data-label="{product}">',
        f'</td><td class="num" data-label="{now}">',
        f'</td><td class="num fw-semibold" data-label="{new}" data-key="net-price">',
    )


@register.simple_tag
def upcoming_rows(changes):
    """The `<tr>`s of the upcoming list-price changes. Every partner's sheet lists the same
    changes: their rows are written once per process and language for each list of the values
    they show (its date, SKU, product name, current and new list price and currency).

    {% upcoming_rows upcoming %}
    """
    language = get_language()
    shown = tuple(
        (
            change.effective_from,
            change.sku,
            change.name,
            change.current,
            change.new,
            change.currency,
        )
        for change in changes
    )
    written = _UPCOMING_ROWS.get((language, shown), lambda: _upcoming_rows(language, shown))
    return mark_safe(written)  # noqa: S308 - every value is escaped


def _upcoming_rows(language: str | None, shown: tuple[tuple, ...]) -> str:
    """The `<tr>`s of `upcoming_rows` for the values `shown` of each change, in `language`
    (the active language)."""
    sku_cell, product_cell, now_cell, new_cell = _SECTIONS.get(
        ("upcoming rows", language), _upcoming_cells
    )
    escape = html.escape  # the columns are text read from the database
    cells = _Cells()
    # A few dates start every change: each is written once.
    days: dict = {}
    out = []
    for since, sku, name, current, new, currency in shown:
        day = days.get(since)
        if day is None:
            day = days[since] = f'<tr><td class="stack-title">{since:%Y-%m-%d}'
        out.append(
            f"{day}{sku_cell}{escape(sku)}{product_cell}{escape(name)}"
            f"{now_cell}{_grouped(current, currency)}"
            f"{new_cell}{_grouped(new, currency)}"
            f"{'' if new is None else cells.currency(currency)}</td></tr>"
        )
    return "\n".join(out)


def _upcoming_section() -> tuple[str, str, str]:
    """The section of upcoming price changes around its rows (what precedes them, what follows
    them) and the section when none is scheduled."""
    heading = _escape(gettext("Upcoming price changes"))
    none = _escape(gettext("No price changes are scheduled."))
    opening = (
        '<section class="card" aria-labelledby="upcoming-heading">\n'
        f'  <h2 class="card-header h6" id="upcoming-heading">{heading}</h2>\n  \n'
    )
    return (
        f"{opening}"
        '    <div class="table-responsive">\n'
        '      <table class="table table-stack mb-0 align-middle">\n'
        f"        {_upcoming_head()}\n"
        "        <tbody>\n"
        "          ",
        "\n        </tbody>\n      </table>\n    </div>\n  \n</section>",
        f'{opening}    <p class="card-body text-body-secondary mb-0">{none}</p>\n  \n</section>',
    )


@register.simple_tag
def upcoming_section(changes):
    """The section of the upcoming list-price changes `changes`: its heading, then their table
    (`upcoming_rows`) or the sentence that none is scheduled; what surrounds the rows is written
    once per process and language.

    {% upcoming_section upcoming %}
    """
    before, after, empty = _SECTIONS.get(("upcoming", get_language()), _upcoming_section)
    if not changes:
        return mark_safe(empty)  # noqa: S308 - written escaped
    return mark_safe(f"{before}{upcoming_rows(changes)}{after}")  # noqa: S308 - every value escaped


def _sheet_header(partner: bool) -> str:
    """The price sheet's page header, for a partner's sheet (`partner`) or for none, with
    `{name}`, `{date}` and `{query}` in place of the partner's name, the price date and the
    query string of the export's link."""

    def e(text) -> str:
        return _escape(text).replace("{", "{{").replace("}", "}}")

    def raw(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    title = e(gettext("Pricing")) + (" · {name}" if partner else "")
    # As {% blocktranslate %} writes it: the sentence as translated, the date escaped.
    sentence = raw(
        gettext("Net prices on %(date)s. Open any row to see how its price was derived.")
    ) % {"date": "{date}"}
    export = (
        '\n    <a class="btn btn-outline-primary" href="'
        + e(nav("price_export"))
        + '?{query}"><i class="bi bi-download" aria-hidden="true"></i> '
        + e(gettext("Export CSV"))
        + "</a>\n  "
        if partner
        else ""
    )
    return (
        '<div class="page-header">\n'
        "  <div>\n"
        f"    <h1>{title}</h1>\n"
        f'    <p class="text-body-secondary mb-0">{sentence}</p>\n'
        "  </div>\n"
        f"  {export}\n"
        "</div>"
    )


@register.simple_tag
def price_sheet_header(partner, on, query: str):
    """The price sheet's page header: its title (with the name of `partner`, if any), the price
    date `on` and, for a partner's sheet, the link to export it with the query string `query`
    (already encoded). Written once per process and language.

    {% price_sheet_header sheet_partner on request.GET.urlencode %}
    """
    written = _SECTIONS.get(
        ("header", partner is not None, get_language(), nav("price_export")),
        lambda: _sheet_header(partner is not None),
    )
    return mark_safe(  # noqa: S308 - labels escaped when written, the values here
        written.format(
            name=_escape(partner.display_name) if partner is not None else "",
            date=on.isoformat(),
            query=_escape(query),
        )
    )


def _pagination() -> tuple[str, str, str, str]:
    """What `partials/_pagination.html` writes for a page, in four parts: the opening; the link
    to the previous page, the page's position and the link to the next page as format strings
    (`{query}` the parameters kept before `page=`, `{number}` a page's number, `{total}` the
    number of pages)."""

    def e(text) -> str:
        return _escape(text).replace("{", "{{").replace("}", "}}")

    # As {% blocktranslate %} writes it: the sentence as translated, the numbers escaped.
    position = gettext("Page %(number)s of %(total)s").replace("{", "{{").replace("}", "}}") % {
        "number": "{number}",
        "total": "{total}",
    }
    return (
        f'\n\n  <nav class="card-footer" aria-label="{_escape(gettext("Pages"))}">\n'
        '    <ul class="pagination pagination-sm mb-0">\n      ',
        '<li class="page-item"><a class="page-link" href="?{query}page={number}">'
        f"{e(gettext('Previous'))}</a></li>",
        '\n      <li class="page-item disabled"><span class="page-link">'
        f"{position}</span></li>\n      ",
        '<li class="page-item"><a class="page-link" href="?{query}page={number}">'
        f"{e(gettext('Next'))}</a></li>",
    )


_PAGINATION_END = "\n    </ul>\n  </nav>\n\n"


@register.simple_tag
def price_pagination(page, query):
    """`{% include "partials/_pagination.html" %}` for the page `page` of the price sheet and
    the query string `query` (request.GET): the links to the previous and next pages, keeping
    every parameter but the page, and the page's position; nothing when there is one page.
    What does not change from page to page is written once per process and language.

    {% price_pagination page_obj request.GET %}
    """
    if not page.has_other_pages():
        return "\n\n"
    opening, previous, position, following = _SECTIONS.get(
        ("pagination", get_language()), _pagination
    )
    kept = "".join(
        f"{_escape(key)}={_escape(quote(value))}&" for key, value in query.items() if key != "page"
    )
    parts = [opening]
    if page.has_previous():
        parts.append(previous.format(query=kept, number=_number(page.previous_page_number())))
    parts.append(
        position.format(
            number=_number(page.number),
            total=_number(page.paginator.num_pages),
        )
    )
    if page.has_next():
        parts.append(following.format(query=kept, number=_number(page.next_page_number())))
    parts.append(_PAGINATION_END)
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped


@functools.lru_cache(maxsize=16)
def _form(partner: bool, action: str) -> str:
    htmx = (
        f'hx-get="{_escape(action)}" hx-target="#price-table" hx-swap="outerHTML" '
        'hx-push-url="true" hx-trigger="input changed delay:300ms from:#id_q, '
        'change from:#id_line, change from:#id_date, submit"'
        if partner
        else ""
    )
    return (
        f'<form class="row g-2 align-items-end mb-3" method="get" action="{_escape(action)}" '
        f'role="search"\n      {htmx}>'
    )


@register.simple_tag
def price_sheet_form(partner):
    """The opening tag of the price sheet's filter form: for a partner's sheet (`partner`), its
    changes replace the table in place (htmx).

    {% price_sheet_form sheet_partner %}
    """
    return mark_safe(_form(bool(partner), nav("price_sheet")))  # noqa: S308 - written escaped


@register.simple_tag
def price_caption(count):
    """The caption of the price sheet's table: its number of products, as `{% blocktranslate
    count counter=count %}` writes it.

    {% price_caption page_obj.paginator.count %}
    """
    return mark_safe(  # noqa: S308 - the number escaped
        _NUMBERS.get(
            ("caption", get_language(), count),
            lambda: (
                ngettext("%(counter)s product", "%(counter)s products", count)
                % {"counter": _number(count)}
            ),
        )
    )


def _number(value: int) -> str:
    """`value` as `localize` writes it in the active language, escaped; each number once per
    process and language (a sheet's counts and page numbers)."""
    return _NUMBERS.get((get_language(), value), lambda: _escape(localize(value)))


_NUMBERS: Kept[str] = Kept(256)
# The rows of the upcoming changes, by language and values: a few lists, each of 50 changes.
_UPCOMING_ROWS: Kept[str] = Kept(8)
_FILTERS: Kept[str] = Kept(256)
_HEADS: Kept[str] = Kept(16)
_SECTIONS: Kept = Kept(32)


def _filters(lines: tuple[tuple[str, str], ...], line: str) -> str:
    """The fields of the price sheet's filter after the partner select, with `{search}` and
    `{date}` in place of the values typed."""

    def e(text) -> str:
        return _escape(text).replace("{", "{{").replace("}", "}}")

    options = "".join(
        f'<option value="{e(code)}"{" selected" if code == line else ""}>{e(name)}</option>'
        for code, name in lines
    )
    search, placeholder = e(gettext("Search")), e(gettext("SKU or product name"))
    product_line, all_lines = e(gettext("Product line")), e(gettext("All lines"))
    price_date, show = e(gettext("Price date")), e(gettext("Show"))
    return (
        '<div class="col-sm-6 col-md-3">\n'
        f'<label class="form-label" for="id_q">{search}</label>\n'
        '<input class="form-control" type="search" name="q" id="id_q" value="{search}" '
        f'placeholder="{placeholder}">\n'
        "</div>\n"
        '<div class="col-sm-4 col-md-2">\n'
        f'<label class="form-label" for="id_line">{product_line}</label>\n'
        '<select class="form-select" name="line" id="id_line">\n'
        f'<option value="">{all_lines}</option>\n'
        f"{options}\n"
        "</select>\n"
        "</div>\n"
        '<div class="col-sm-4 col-md-2">\n'
        f'<label class="form-label" for="id_date">{price_date}</label>\n'
        '<input class="form-control" type="date" name="date" id="id_date" value="{date}">\n'
        "</div>\n"
        '<div class="col-auto"><button class="btn btn-outline-primary" type="submit">'
        f"{show}</button></div>"
    )


@register.simple_tag
def price_filters(search: str, lines, line: str, on):
    """The fields of the price sheet's filter after the partner select: the search typed, the
    product lines (`line` selected) and the price date `on`. Written once per process for each
    language, set of lines and selected line.

    {% price_filters search lines line on %}
    """
    choices = tuple((choice.code, choice.display_name) for choice in lines)
    written = _FILTERS.get((get_language(), choices, line), lambda: _filters(choices, line))
    return mark_safe(  # noqa: S308 - labels escaped when written, the values here
        written.format(search=_escape(search), date=on.isoformat())
    )


def _head(labels: list[tuple[str, bool]], between: str) -> str:
    """A table's `<thead>`: a header cell for each (label, numeric) of `labels`."""
    cells = between.join(
        f'<th scope="col" class="num">{_escape(label)}</th>'
        if numeric
        else f'<th scope="col">{_escape(label)}</th>'
        for label, numeric in labels
    )
    return f"<thead><tr>{between}{cells}{between}</tr></thead>"


def _sheet_head() -> str:
    return _head(
        [
            (gettext("SKU"), False),
            (gettext("Product"), False),
            (gettext("List price"), True),
            (gettext("Discount"), True),
            (gettext("Promotion"), True),
            (gettext("Net price"), True),
            (gettext("MAP"), True),
        ],
        "\n",
    )


def _upcoming_head() -> str:
    return _head(
        [
            (gettext("From"), False),
            (gettext("SKU"), False),
            (gettext("Product"), False),
            (gettext("List price now"), True),
            (gettext("New list price"), True),
        ],
        "",
    )


@register.simple_tag
def price_sheet_head():
    """The `<thead>` of the price sheet's table, written once per process and language."""
    return mark_safe(_HEADS.get(("sheet", get_language()), _sheet_head))  # noqa: S308


@register.simple_tag
def upcoming_head():
    """The `<thead>` of the upcoming price changes, written once per process and language."""
    return mark_safe(_HEADS.get(("upcoming", get_language()), _upcoming_head))  # noqa: S308
