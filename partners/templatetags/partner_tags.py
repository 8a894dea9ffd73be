"""Formatting for the partner pages: money in its currency, percentages.

Amounts are grouped by thousands with commas in both languages, as invoices in Taiwan and Hong
Kong write them (Django's zh-Hant number format has no grouping separator).
"""

import datetime as dt
import functools
import html
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django import forms, template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import truncatechars
from django.template.defaulttags import querystring
from django.utils import timezone
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from prm.core.columns import column_labels
from prm.core.dates import format_value
from prm.core.html import conditional_escape, escape, format_html
from prm.core.kept import Kept
from prm.core.links import link, linker, nav
from prm.core.money import minor_unit, quantize

from ..models import (
    Announcement,
    BusinessReview,
    Cadence,
    DealRegistration,
    Partner,
    RiskRating,
    _localised,
)

register = template.Library()


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@register.filter
def money(amount, currency: str = ""):
    """`{{ amount|money:"TWD" }}` → "TWD 125,000.00", rounded half-up to the currency's minor
    unit. Empty for no amount."""
    if amount is None or amount == "":
        return ""
    value = _decimal(amount)
    if currency:
        value = quantize(value, currency)
    places = minor_unit(currency) if currency else 2
    text = f"{value:,.{places}f}"
    return f"{currency} {text}" if currency else text


@register.filter
def percent(value):
    """`{{ 87.46|percent }}` → "87.5%"; empty for no value."""
    if value is None or value == "":
        return ""
    return f"{_decimal(value):,.1f}%"


# Badges drawn on every row of the directory and the deal list: written here rather than as
# included templates, which cost a template lookup and a context per row.
RISK_BADGE_CLASSES = {
    "high": "bg-danger-subtle text-danger-emphasis border border-danger-subtle",
    "medium": "bg-warning-subtle text-warning-emphasis border border-warning-subtle",
}
RISK_BADGE_DEFAULT = "bg-success-subtle text-success-emphasis border border-success-subtle"
DEAL_BADGE_CLASSES = {
    "approved": "text-bg-success",
    "pending": "bg-warning-subtle text-warning-emphasis border border-warning-subtle",
    "rejected": "bg-danger-subtle text-danger-emphasis border border-danger-subtle",
}
DEAL_BADGE_DEFAULT = "bg-secondary-subtle text-secondary-emphasis border"
# Choice labels (lazy, translated when rendered) by value.
PARTNER_STATUS_LABELS = dict(Partner.Status.choices)
RISK_LABELS = dict(RiskRating.choices)
DEAL_STATUS_LABELS = dict(DealRegistration.Status.choices)


def _label(labels: dict, value):
    """The display label of a choice `value` (as get_FOO_display gives it, without rebuilding
    the field's choices for every row)."""
    return labels.get(value, value)


@register.filter
def status_badge(partner):
    """The partner's status as a badge."""
    return format_html(
        '<span class="badge rounded-pill status-badge status-{}">{}</span>',
        partner.status,
        _label(PARTNER_STATUS_LABELS, partner.status),
    )


@register.filter
def risk_badges(partner):
    """The partner's risk rating as a badge, and a second one when it is over its credit limit."""
    badge = format_html(
        '<span class="badge rounded-pill {}">{}</span>',
        RISK_BADGE_CLASSES.get(partner.risk_rating, RISK_BADGE_DEFAULT),
        _label(RISK_LABELS, partner.risk_rating),
    )
    if not partner.is_over_credit_limit:
        return badge
    return badge + format_html(
        ' <span class="badge rounded-pill text-bg-danger" title="{}"><i class="bi bi-credit-card"'
        ' aria-hidden="true"></i> {}</span>',
        _("Overdue receivables exceed the credit limit"),
        _("Over credit limit"),
    )


@register.filter
def deal_status_badge(deal):
    """The deal registration's status as a badge, and a second one when it conflicts with
    another partner's registration."""
    badge = format_html(
        '<span class="badge rounded-pill {}">{}</span>',
        DEAL_BADGE_CLASSES.get(deal.status, DEAL_BADGE_DEFAULT),
        _label(DEAL_STATUS_LABELS, deal.status),
    )
    if not deal.has_conflict:
        return badge
    return badge + format_html(
        ' <span class="badge rounded-pill bg-danger-subtle text-danger-emphasis border'
        ' border-danger-subtle" title="{}"><i class="bi bi-exclamation-triangle"'
        ' aria-hidden="true"></i> {}</span>',
        _("Another partner registered the same customer"),
        _("Conflict"),
    )


REVIEW_BADGE_CLASSES = {
    "held": "text-bg-success",
    "scheduled": "bg-primary-subtle text-primary-emphasis border border-primary-subtle",
}
REVIEW_BADGE_DEFAULT = "bg-secondary-subtle text-secondary-emphasis border"


@register.filter
def review_status_badge(review, overdue: bool = False):
    """The business review's status as a badge, and a second one when it is overdue.

    {{ review|review_status_badge:review.is_overdue }}
    """
    badge = format_html(
        '<span class="badge rounded-pill {}">{}</span>',
        REVIEW_BADGE_CLASSES.get(review.status, REVIEW_BADGE_DEFAULT),
        review.get_status_display(),
    )
    if not overdue:
        return badge
    return badge + format_html(
        ' <span class="badge rounded-pill text-bg-danger review-overdue"><i class="bi bi-alarm"'
        ' aria-hidden="true"></i> {}</span>',
        _("Overdue"),
    )


@register.simple_tag
def partner_options(choices, selected=None):
    """The `<option>`s of a partner select, "code · name" each, `selected` (a partner or
    nothing) marked: `choices` are (code, name, local name) rows, as
    `partners.selectors.partner_choice_rows` reads them.

    {% partner_options partner_choices sheet_partner %}
    """
    current = getattr(selected, "code", None)
    zh = (get_language() or "").startswith("zh")
    options = []
    for code, name, local_name in choices:
        mark = " selected" if code == current else ""
        label = escape(local_name if zh and local_name else name)
        options.append(f'<option value="{escape(code)}"{mark}>{escape(code)} · {label}</option>')
    return mark_safe("".join(options))  # noqa: S308 - codes and names escaped above


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, target: str, numeric: bool = False):
    """A sortable column's header: a link that sorts by `key` (or, when the list is sorted by
    it already, the other way), loaded into `target` by htmx, and the current order marked.
    The list's sort key is the context's `sort`.

    {% translate "Code" as label %}{% sort_th "code" label "#partner-table" %}

    Each header is written once per process for each query string, sort and label.
    """
    sort = context.get("sort")
    request = getattr(context, "request", None)
    if request is None:
        return _sort_th(context, sort, key, label, target, numeric)
    cached = (
        tuple((name, tuple(values)) for name, values in request.GET.lists()),
        sort,
        key,
        str(label),
        isinstance(label, SafeData),
        target,
        numeric,
    )
    return _SORT_HEADERS.get(cached, lambda: _sort_th(context, sort, key, label, target, numeric))


_SORT_HEADERS: Kept[str] = Kept(1024)


def _sort_th(context, sort, key: str, label: str, target: str, numeric: bool) -> str:
    ascending, descending = sort == key, sort == "-" + key
    link = conditional_escape(querystring(context, sort="-" + key if ascending else key, page=None))
    css = " text-end" if numeric else ""
    aria = (
        ' aria-sort="ascending"' if ascending else ' aria-sort="descending"' if descending else ""
    )
    caret = (
        ' <i class="bi bi-caret-up-fill" aria-hidden="true"></i>'
        if ascending
        else ' <i class="bi bi-caret-down-fill" aria-hidden="true"></i>'
        if descending
        else ""
    )
    return format_html(
        '<th scope="col" class="text-nowrap{}"{}><a class="text-reset text-decoration-none '
        'text-nowrap" href="{}" hx-get="{}" hx-target="{}" hx-swap="outerHTML" '
        'hx-push-url="true">{}{}</a></th>',
        css,
        mark_safe(aria),  # noqa: S308 - constant markup
        link,
        link,
        target,
        label,
        mark_safe(caret),  # noqa: S308 - constant markup
    )


_PAGE_LINK = (
    '<li class="page-item"><a class="page-link" href="{link}" hx-get="{link}" hx-target="{target}"'
    ' hx-swap="outerHTML" hx-push-url="true">{label}</a></li>'
)


@register.simple_tag(takes_context=True)
def pagination(context, page_obj, target: str):
    """The pages of a list, as `partners/partials/_pagination.html` writes them: links to the
    previous and next page (loaded into `target` by htmx) around "Page n of m"; nothing when
    there is one page.

    {% pagination page_obj "#deal-table" %}
    """
    if not page_obj.has_other_pages():
        return ""
    target = conditional_escape(target)
    previous = following = ""
    if page_obj.has_previous():
        previous = _PAGE_LINK.format(
            link=conditional_escape(querystring(context, page=page_obj.previous_page_number())),
            target=target,
            label=conditional_escape(_("Previous")),
        )
    if page_obj.has_next():
        following = _PAGE_LINK.format(
            link=conditional_escape(querystring(context, page=page_obj.next_page_number())),
            target=target,
            label=conditional_escape(_("Next")),
        )
    where = _("Page %(number)s of %(total)s") % {
        "number": conditional_escape(localize(page_obj.number)),
        "total": conditional_escape(localize(page_obj.paginator.num_pages)),
    }
    pages = conditional_escape(_("Pages"))
    return mark_safe(  # noqa: S308 (every value is escaped)
        "\n"
        '<nav class="card-footer d-flex justify-content-between align-items-center"'
        f' aria-label="{pages}">\n'
        '  <ul class="pagination pagination-sm mb-0">\n'
        f"    {previous}\n"
        f'    <li class="page-item disabled"><span class="page-link">{where}</span></li>\n'
        f"    {following}\n"
        "  </ul>\n"
        "</nav>\n"
    )


@register.simple_tag
def filter_select(field, width: str):
    """One select of a list's filter bar: its label and widget in a grid column of `width`.
    A plain select is written once per process for each combination of what its HTML depends
    on (its label, name, attributes, choices in the active language and selected value)."""
    key = _filter_select_key(field, width)
    if key is None:
        return _filter_select(field, width)
    return _FILTER_SELECTS.get(key, lambda: _filter_select(field, width))


_FILTER_SELECTS: Kept[str] = Kept(512)


def _filter_select(field, width: str) -> str:
    return format_html(
        '<div class="{}">\n  <label class="form-label small" for="{}">{}</label>\n  {}\n</div>',
        width,
        field.id_for_label,
        field.label,
        field,
    )


def _filter_select_key(field, width: str) -> tuple | None:
    """What `_filter_select(field, width)` writes depends on, for a select of flat choices
    (None for any other widget): the attributes BoundField.as_widget gives the widget, its
    choices and label as text in the active language, and the value it marks selected."""
    widget = field.field.widget
    if type(widget) is not forms.Select or field.field.localize:
        return None
    choices = []
    for value, label in widget.choices:
        if isinstance(label, list | tuple):
            return None
        choices.append((str(value), str(label)))
    attrs = field.build_widget_attrs({}, widget)
    return (
        width,
        field.html_name,
        field.auto_id,
        str(field.label),
        repr(field.value()),
        tuple(attrs.items()),
        tuple(widget.attrs.items()),
        tuple(choices),
        type(field.form.renderer),
    )


_DEAL_ROW = (
    "\n          <tr>"
    '\n            <td class="stack-title text-nowrap"><a href="{deal_url}">{number}</a>'
    '<div class="small text-body-secondary">{created}</div></td>'
    "\n            {partner_cell}"
    '\n            <td data-label="{l_customer}">{customer}'
    '<div class="small text-body-secondary">{customer_id}</div></td>'
    '\n            <td data-label="{l_territory}">{territory}</td>'
    '\n            <td data-label="{l_product_lines}">{product_lines}</td>'
    '\n            <td class="text-end text-nowrap" data-label="{l_estimated_value}"'
    ' data-key="amount">{value}</td>'
    '\n            <td class="text-nowrap" data-label="{l_expected_close}">{close}</td>'
    '\n            <td data-label="{l_status}" data-key="status">{status}</td>'
    '\n            <td class="text-nowrap" data-label="{l_protected_until}">{protected}</td>'
    "\n          </tr>\n        "
)
_DEAL_PARTNER_CELL = (
    '<td class="text-nowrap" data-label="{}"><a class="link-body-emphasis" href="{}"'
    ' title="{}">{}</a></td>'
)
_PRODUCT_LINE_BADGE = '<span class="badge text-bg-light border me-1">{}</span>'
_NONE = mark_safe('<span class="text-body-secondary">—</span>')


class _Unfilled(dict):
    """Format fields without a value stay as they are: `"{a}{b}".format_map(_Unfilled(a=1))`
    is `"1{b}"`."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# The format characters of django.utils.dateformat that read a time of day or a time zone.
_TIME_FORMAT_CHARACTERS = frozenset("aAcefgGhHiIOPrsTuUZ")


def _reads_day_only(date_format: str) -> bool:
    """Whether `date_format` gives the same text for a datetime as for its date."""
    escaped = False
    for character in date_format:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character in _TIME_FORMAT_CHARACTERS:
            return False
    return True


@dataclass(frozen=True)
class _DealWords:
    """What the deal list's rows write the same in every row of a language: the row's template
    with its column labels in place, the partner column's label, and the date format (with
    whether it reads a time of day)."""

    row: str
    partner: str
    date_format: str
    by_day: bool


@functools.lru_cache(maxsize=16)
def _deal_words(language: str | None) -> _DealWords:
    """The deal list's words in `language`, the active language: translated once for each."""
    labels = {
        "l_customer": html.escape(_("Customer")),
        "l_territory": html.escape(_("Territory")),
        "l_product_lines": html.escape(_("Product lines")),
        "l_estimated_value": html.escape(_("Estimated value")),
        "l_expected_close": html.escape(_("Expected close")),
        "l_status": html.escape(_("Status")),
        "l_protected_until": html.escape(_("Protected until")),
    }
    braces = {key: label.replace("{", "{{").replace("}", "}}") for key, label in labels.items()}
    date_format = get_format("SHORT_DATE_FORMAT")
    return _DealWords(
        row=_DEAL_ROW.format_map(_Unfilled(braces)),
        partner=_("Partner"),
        date_format=date_format,
        by_day=_reads_day_only(date_format),
    )


@functools.lru_cache(maxsize=64)
def _deal_status_cell(language: str | None, status: str, has_conflict: bool) -> str:
    """`deal_status_badge` of a deal with `status`, in conflict or not, in `language`, the
    active language."""
    return deal_status_badge(SimpleNamespace(status=status, has_conflict=has_conflict))


@functools.lru_cache(maxsize=1024)
def _product_line_badge(code: str) -> str:
    return format_html(_PRODUCT_LINE_BADGE, code)


class _DealRows:
    """Writes the rows of the deal list. What depends on a value rather than on the deal (a
    date, a partner's cell, a badge) is written once per value, and the words once per
    language."""

    def __init__(self, is_vendor: bool) -> None:
        self.language = get_language()
        self.words = _deal_words(self.language)
        self.label_partner = html.escape(self.words.partner) if is_vendor else None
        self.zh = (self.language or "").startswith("zh")
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.dates: dict = {}
        self.partners: dict[int, str] = {}
        self.deal_link = linker("deal_detail")
        self.partner_link = linker("partner_detail")

    def date(self, value) -> str:
        """`{{ value|date:"SHORT_DATE_FORMAT" }}` (a datetime in local time), escaped; empty for
        none. A format that reads no time of day is written once per local date and language."""
        if value in (None, ""):
            return ""
        words = self.words
        if isinstance(value, dt.datetime):
            if self.zone is not None and value.utcoffset() is not None:
                value = value.astimezone(self.zone)
            if words.by_day:
                value = value.date()
        if words.by_day:
            return _day_text(value, words.date_format, self.language)
        text = self.dates.get(value)
        if text is None:
            text = self.dates[value] = html.escape(format_value(value, words.date_format))
        return text

    def partner_cell(self, deal) -> str:
        if self.label_partner is None:
            return ""
        cell = self.partners.get(deal.partner_id)
        if cell is None:
            escape = html.escape
            code, local_name = deal.partner_code, deal.partner_local_name
            cell = self.partners[deal.partner_id] = _DEAL_PARTNER_CELL.format(
                self.label_partner,
                escape(self.partner_link(code)),
                escape(local_name if self.zh and local_name else deal.partner_name),
                escape(code),
            )
        return cell

    def row(self, deal) -> str:
        escape = html.escape
        return self.words.row.format(
            deal_url=escape(self.deal_link(deal.pk)),
            number=escape(deal.number),
            created=self.date(deal.created_at),
            partner_cell=self.partner_cell(deal),
            customer=escape(deal.customer_name),
            customer_id=escape(deal.customer_tax_id or deal.customer_domain),
            territory=escape(deal.territory_code or ""),
            product_lines="".join([_product_line_badge(code) for code in deal.product_line_codes]),
            value=escape(money(deal.estimated_value, deal.currency)),
            close=self.date(deal.expected_close),
            status=_deal_status_cell(self.language, deal.status, deal.has_conflict),
            protected=self.date(deal.protected_until) if deal.protected_until else _NONE,
        )


@register.simple_tag
def deal_rows(deals, is_vendor):
    """The rows of the deal list's table for `deals` as `partners.selectors.deal_list_pages`
    gives them (with their partner's and territory's columns and their `product_line_codes`),
    written here rather than as a template loop, which costs a dozen nodes and a context lookup
    per cell of every row. Vendor staff see the partner column."""
    writer = _DealRows(is_vendor)
    return mark_safe("".join([writer.row(deal) for deal in deals]))  # noqa: S308 (escaped)


_PARTNER_ROW = (
    "\n          <tr>"
    '\n            <td class="stack-title text-nowrap">{flag}<a href="{url}">{code}</a></td>'
    '\n            <td data-label="{l_name}">{name}{legal_name}</td>'
    '\n            <td data-label="{l_tier}">{tier}</td>'
    '\n            <td data-label="{l_status}" data-key="status">{status}</td>'
    '\n            <td data-label="{l_territories}">{territories}</td>'
    '\n            <td data-label="{l_manager}">{manager}</td>'
    '\n            <td class="text-nowrap" data-label="{l_risk}">{risk}</td>'
    '\n            <td class="text-end text-nowrap" data-label="{l_overdue}">{overdue}</td>'
    '\n            <td class="text-end text-nowrap" data-label="{l_attainment}"'
    ' data-key="attainment">{attainment}</td>'
    "\n            {columns}"
    '\n            <td class="text-end" data-label="{l_users}">{members}</td>'
    "\n          </tr>\n        "
)
_TERRITORY_BADGE = '<span class="badge text-bg-light border me-1">{}</span>'
_LEGAL_NAME = '<div class="small text-body-secondary">{}</div>'


@dataclass(frozen=True)
class _DirectoryWords:
    """What the directory's rows write the same in every row of a language: the row's template
    with its column labels in place, the flag, and the mark of a target without sales."""

    row: str
    flag: str
    no_sales: str


@functools.lru_cache(maxsize=16)
def _directory_words(language: str | None) -> _DirectoryWords:
    """The directory's words in `language`, the active language: translated once for each."""
    labels = column_labels(
        l_name=gettext_noop("Name"),
        l_tier=gettext_noop("Tier"),
        l_status=gettext_noop("Status"),
        l_territories=gettext_noop("Territories"),
        l_manager=gettext_noop("Account manager"),
        l_risk=gettext_noop("Risk"),
        l_overdue=gettext_noop("Overdue"),
        l_attainment=gettext_noop("Attainment"),
        l_users=gettext_noop("Users"),
    )
    braces = {key: label.replace("{", "{{").replace("}", "}}") for key, label in labels.items()}
    return _DirectoryWords(
        row=_PARTNER_ROW.format_map(_Unfilled(braces)),
        flag=format_html(
            '<i class="bi bi-flag-fill text-danger me-1" aria-hidden="true" title="{}"></i>'
            '<span class="visually-hidden">{}</span>',
            _("Flagged"),
            _("Flagged:"),
        ),
        no_sales=format_html(
            '<span class="text-body-secondary" title="{}">{}</span>',
            _("No sales yet"),
            _("no sales yet"),
        ),
    )


@functools.lru_cache(maxsize=64)
def _status_cell(language: str | None, status: str) -> str:
    """A partner status's badge in `language`, the active language."""
    return format_html(
        '<span class="badge rounded-pill status-badge status-{}">{}</span>',
        status,
        _label(PARTNER_STATUS_LABELS, status),
    )


@functools.lru_cache(maxsize=64)
def _risk_cell(language: str | None, risk_rating: str, over_credit_limit: bool) -> str:
    """`risk_badges` of a partner with `risk_rating`, over its credit limit or not, in
    `language`, the active language."""
    return risk_badges(
        SimpleNamespace(risk_rating=risk_rating, is_over_credit_limit=over_credit_limit)
    )


@functools.lru_cache(maxsize=1024)
def _territory_badge(code: str) -> str:
    return format_html(_TERRITORY_BADGE, code)


@functools.lru_cache(maxsize=1024)
def _member_count(language: str | None, count: int) -> str:
    """`count` grouped by thousands as `intcomma` writes it in `language`, the active one."""
    return conditional_escape(intcomma(count))


def _directory_cell(column, partner) -> str:
    """A registered column's cell: its `cell` function, else its template."""
    if column.cell is not None:
        return column.cell(partner)
    return template.loader.render_to_string(column.cell_template, {"partner": partner})


@register.simple_tag
def partner_rows(partners, columns):
    """The rows of the partner directory's table (with the cells of the registered `columns`)
    for `partners` as `partners.selectors.partner_directory` gives them (with their tier's and
    account manager's columns and their `territory_codes`), written here rather than as a
    template loop, which costs a dozen nodes and a context lookup per cell of every row. What
    depends on a value rather than on the partner (a badge, a count) is written once per value,
    and the words once per language."""
    language = get_language()
    words = _directory_words(language)
    zh = (language or "").startswith("zh")
    tiers: dict[int | None, str] = {}
    managers: dict[int | None, str] = {}
    detail = linker("partner_detail")
    escape = html.escape
    rows = []
    for partner in partners:
        codes = partner.territory_codes
        territories = "".join([_territory_badge(code) for code in codes]) if codes else _NONE
        tier = tiers.get(partner.tier_id)
        if tier is None:
            name = (
                _localised(partner.tier_name, partner.tier_local_name, language)
                if partner.tier_id is not None
                else "—"
            )
            tier = tiers[partner.tier_id] = escape(name)
        manager = managers.get(partner.account_manager_id)
        if manager is None:
            # The manager's name as User.get_full_name gives it: the full name, else the email.
            name = partner.account_manager_full_name or partner.account_manager_email or "—"
            manager = managers[partner.account_manager_id] = escape(name)
        if partner.attainment is not None:
            attainment = escape(percent(partner.attainment))
        elif partner.current_target:
            attainment = words.no_sales
        else:
            attainment = _NONE
        over_limit = partner.is_over_credit_limit
        code = partner.code
        local_name = partner.local_name
        rows.append(
            words.row.format(
                flag=words.flag if partner.is_flagged else "",
                url=escape(detail(code)),
                code=escape(code),
                name=escape(local_name if zh and local_name else partner.name),
                legal_name=_LEGAL_NAME.format(escape(partner.legal_name))
                if partner.legal_name
                else "",
                tier=tier,
                status=_status_cell(language, partner.status),
                territories=territories,
                manager=manager,
                risk=_risk_cell(language, partner.risk_rating, over_limit),
                overdue=(
                    escape(money(partner.overdue_receivables, partner.currency))
                    if partner.overdue_receivables
                    else _NONE
                ),
                attainment=attainment,
                columns="".join([_directory_cell(column, partner) for column in columns]),
                members=_member_count(language, partner.member_count),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value above is escaped)


@functools.lru_cache(maxsize=1024)
def _day_text(day: dt.date, date_format_string: str, language: str | None) -> str:
    """`day` written in a date format, escaped: the same words for every row and request that
    show it in `language` (whose month names the format may use)."""
    return escape(format_value(day, date_format_string))


ANNOUNCEMENT_CATEGORY_LABELS = dict(Announcement.Category.choices)
ANNOUNCEMENT_AUDIENCE_LABELS = dict(Announcement.Audience.choices)


def _start_of(text: str, length: int) -> str:
    """`{{ text|truncatechars:length }}`: a text no longer than `length` once normalised is
    that text, without counting its characters one by one."""
    normalised = unicodedata.normalize("NFC", text)
    if len(normalised) <= length:
        return normalised
    return truncatechars(text, length)


@dataclass(frozen=True)
class _FeedWords:
    """The words and formats of a partner's announcement feed in one language, translated,
    escaped and looked up once per process."""

    unread: str
    awaiting: str
    acknowledged: str
    by_date: str
    categories: dict[str, str]
    all_categories: str
    date_format: str


def _feed_words() -> _FeedWords:
    return _FEED_WORDS.get(get_language(), _write_feed_words)


def _write_feed_words() -> _FeedWords:
    unread = escape(_("Unread:"))
    awaiting = escape(_("Awaiting your acknowledgement"))
    acknowledged = escape(_("Acknowledged"))
    return _FeedWords(
        unread=(
            '<i class="bi bi-circle-fill text-primary small" aria-hidden="true"></i> '
            f'<span class="visually-hidden">{unread}</span>'
        ),
        awaiting=f'<span class="badge text-bg-warning">{awaiting}</span>',
        acknowledged=(
            '<span class="badge text-bg-success"><i class="bi bi-check2" '
            f'aria-hidden="true"></i> {acknowledged}</span>'
        ),
        by_date=_("by %(date)s"),
        categories={
            value: escape(str(label)) for value, label in ANNOUNCEMENT_CATEGORY_LABELS.items()
        },
        all_categories=escape(_("All categories")),
        date_format=get_format("DATE_FORMAT"),
    )


_FEED_WORDS: Kept[_FeedWords] = Kept(16)


@register.simple_tag
def announcement_feed_items(announcements):
    """The `<li>`s of a partner's announcement feed: title (bold and marked while unread),
    category and date, whether the organisation has acknowledged it or still has to (and by
    when), and the start of its text.

    {% announcement_feed_items announcements %}
    """
    words = _feed_words()
    categories, date_format_string, language = words.categories, words.date_format, get_language()
    zone = timezone.get_current_timezone()
    detail_link = linker("announcement_detail")
    text = html.escape  # Django's escape() of a str, without its check for a lazy text
    items = []
    for announcement in announcements:
        unread = not announcement.is_read
        published = announcement.published_at.astimezone(zone)
        if announcement.awaiting_acknowledgement:
            status = words.awaiting
            if announcement.acknowledge_by:
                by = format_value(announcement.acknowledge_by, date_format_string)
                status += (
                    '\n<div class="text-body-secondary mt-1">'
                    f"{words.by_date % {'date': text(by)}}</div>"
                )
        elif announcement.is_acknowledged:
            status = words.acknowledged
        else:
            status = ""
        title = _localised(announcement.title, announcement.local_title, language)
        body = _localised(announcement.body, announcement.local_body, language)
        items.append(
            f'<li class="list-group-item py-3{" announcement-unread" if unread else ""}">\n'
            '<div class="d-flex justify-content-between gap-3 flex-wrap">\n'
            "<div>\n"
            f'<h2 class="h6 mb-1">{words.unread if unread else ""}'
            f'<a href="{detail_link(announcement.pk)}"'
            f' class="{"fw-bold" if unread else ""}">'
            f"{text(title)}</a></h2>\n"
            f'<div class="small text-body-secondary">'
            f"{categories.get(announcement.category) or text(announcement.category)} · "
            f'<time datetime="{text(published.isoformat())}">'
            f"{_day_text(published.date(), date_format_string, language)}</time></div>\n"
            "</div>\n"
            '<div class="text-end small">\n'
            f"{status}\n"
            "</div>\n"
            "</div>\n"
            '<p class="small mb-0 mt-2 text-body-secondary">'
            f"{text(_start_of(body, 220))}</p>\n"
            "</li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped


_CATEGORY_LINK = (
    '<a class="list-group-item list-group-item-action d-flex justify-content-between '
    'align-items-center{active}" href="{url}"{current}>\n{indent}  {label}\n{indent}  {badge}\n'
    "{indent}</a>\n        "
)


def _category_link(url: str, label: str, selected: bool, unread: int, mark: str, indent: str):
    badge = ""
    if unread:
        words = ngettext("%(counter)s unread", "%(counter)s unread", unread)
        badge = (
            f'<span class="badge rounded-pill text-bg-primary"{mark}>'
            f"{words % {'counter': conditional_escape(localize(unread))}}</span>"
        )
    return _CATEGORY_LINK.format(
        active=" active" if selected else "",
        url=url,
        current=' aria-current="true"' if selected else "",
        indent=indent,
        label=label,
        badge=badge,
    )


@register.simple_tag
def announcement_category_links(unread_by_category, unread_total: int, category: str):
    """The links of a partner's announcement feed to all its announcements and to each
    category, `(value, label, unread)` in `unread_by_category`, with how many of them the user
    has not opened; the selected `category` (all when empty) marked.

    {% announcement_category_links unread_by_category unread_total category %}
    """
    words = _feed_words()
    links = [
        _category_link(
            nav("announcement_list"),
            words.all_categories,
            not category,
            unread_total,
            ' id="unread-total"',
            "        ",
        )
    ]
    for value, label, unread in unread_by_category:
        value_text = escape(value)
        links.append(
            "\n          "
            + _category_link(
                f"?category={value_text}",
                words.categories.get(value) or conditional_escape(label),
                value == category,
                unread,
                f' data-category="{value_text}"',
                "          ",
            )
        )
    return mark_safe("".join(links))  # noqa: S308 - every value above is escaped


class _AnnouncementCells:
    """The words and formats of the vendor's announcement rows, translated and looked up once
    per table."""

    def __init__(self) -> None:
        self.categories = {
            value: escape(str(label)) for value, label in ANNOUNCEMENT_CATEGORY_LABELS.items()
        }
        self.audiences = {
            value: escape(str(label)) for value, label in ANNOUNCEMENT_AUDIENCE_LABELS.items()
        }
        draft = escape(_("Draft"))
        self.draft = f'<span class="badge text-bg-secondary">{draft}</span>'
        self.short_date, self.language = get_format("SHORT_DATE_FORMAT"), get_language()
        self.out_of = escape(_("%(done)s of %(total)s"))
        self.reached: dict[int, str] = {}

    def day(self, value: dt.date | None) -> str:
        return _day_text(value, self.short_date, self.language) if value else "—"

    def acknowledged(self, announcement) -> str:
        """How many of the partners it was published to have acknowledged it; how many it was
        published to when it needs no acknowledgement; a dash for a draft."""
        if announcement.published_at is None:
            return "—"
        done, total = announcement.acknowledged_count, announcement.recipient_count
        if announcement.requires_acknowledgement:
            emphasis = "text-success fw-semibold" if done == total else ""
            return f'<span class="{emphasis}">{self.out_of % {"done": done, "total": total}}</span>'
        if total not in self.reached:
            self.reached[total] = escape(
                ngettext(
                    "%(counter)s partner, no acknowledgement",
                    "%(counter)s partners, no acknowledgement",
                    total,
                )
            ) % {"counter": total}
        return f'<span class="text-body-secondary">{self.reached[total]}</span>'


@register.simple_tag
def announcement_rows(announcements):
    """The `<tr>`s of the vendor's announcement list: title (linking to it) and author,
    category, audience, when it was published (or a draft badge), the acknowledge-by date and
    how many partners acknowledged it.

    {% announcement_rows announcements %}
    """
    labels = column_labels(
        category=gettext_noop("Category"),
        audience=gettext_noop("Audience"),
        published=gettext_noop("Published"),
        acknowledge_by=gettext_noop("Acknowledge by"),
        acknowledged=gettext_noop("Acknowledged"),
    )
    cells = _AnnouncementCells()
    rows = []
    for announcement in announcements:
        author = announcement.author
        byline = (
            f'<div class="small text-body-secondary">{escape(author.get_full_name())}</div>'
            if author is not None
            else ""
        )
        published = announcement.published_at
        category, audience = announcement.category, announcement.audience
        rows.append(
            "<tr>\n"
            f'<td class="stack-title"><a href="{link("announcement_detail", announcement.pk)}">'
            f"{escape(announcement.display_title)}</a>{byline}</td>\n"
            f'<td data-label="{labels["category"]}">'
            f"{cells.categories.get(category) or escape(category)}</td>\n"
            f'<td data-label="{labels["audience"]}">'
            f"{cells.audiences.get(audience) or escape(audience)}</td>\n"
            f'<td class="text-nowrap" data-label="{labels["published"]}">'
            f"{cells.day(template_localtime(published).date()) if published else cells.draft}"
            "</td>\n"
            f'<td class="text-nowrap" data-label="{labels["acknowledge_by"]}">'
            f"{cells.day(announcement.acknowledge_by)}</td>\n"
            f'<td class="text-end text-nowrap" data-label="{labels["acknowledged"]}">'
            f"{cells.acknowledged(announcement)}</td>\n"
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


REVIEW_STATUS_LABELS = dict(BusinessReview.Status.choices)
REVIEW_CADENCE_LABELS = dict(Cadence.choices)


@register.simple_tag
def review_rows(reviews, is_vendor):
    """The `<tr>`s of the business review list: when (linking to the review), the partner (for
    vendor staff), cadence, place, organiser, open action items and status.

    {% review_rows reviews is_vendor %}
    """
    labels = column_labels(
        partner=gettext_noop("Partner"),
        cadence=gettext_noop("Cadence"),
        place=gettext_noop("Place or meeting link"),
        organiser=gettext_noop("Organiser"),
        open=gettext_noop("Open action items"),
        status=gettext_noop("Status"),
    )
    overdue = escape(_("Overdue"))
    overdue_badge = (
        ' <span class="badge rounded-pill text-bg-danger review-overdue">'
        f'<i class="bi bi-alarm" aria-hidden="true"></i> {overdue}</span>'
    )
    when_format = get_format("SHORT_DATETIME_FORMAT")
    zone = timezone.get_current_timezone()
    # Each status badge, cadence cell and organiser cell is written once per table.
    statuses: dict[tuple[str, bool], str] = {}
    cadences: dict[str, str] = {}
    organisers: dict[int | None, str] = {}
    rows = []
    for review in reviews:
        when = escape(format_value(review.scheduled_at.astimezone(zone), when_format))
        partner_cell = ""
        if is_vendor:
            partner = review.partner
            partner_cell = (
                f'<td data-label="{labels["partner"]}"><a class="link-body-emphasis" '
                f'href="{link("partner_detail", partner.code)}">{escape(partner.code)}</a> '
                f'<span class="text-body-secondary">{escape(partner.display_name)}</span></td>'
            )
        organiser = organisers.get(review.organiser_id)
        if organiser is None:
            name = review.organiser.get_full_name() if review.organiser_id else ""
            organiser = organisers[review.organiser_id] = (
                f'<td data-label="{labels["organiser"]}">{escape(name or "—")}</td>'
            )
        cadence = cadences.get(review.cadence)
        if cadence is None:
            cadence = cadences[review.cadence] = (
                f'<td data-label="{labels["cadence"]}">'
                f"{escape(_label(REVIEW_CADENCE_LABELS, review.cadence))}</td>"
            )
        key = (review.status, review.is_overdue)
        status = statuses.get(key)
        if status is None:
            status = statuses[key] = (
                f'<td class="text-nowrap" data-label="{labels["status"]}" data-key="status">'
                '<span class="badge rounded-pill '
                f'{REVIEW_BADGE_CLASSES.get(review.status, REVIEW_BADGE_DEFAULT)}">'
                f"{escape(_label(REVIEW_STATUS_LABELS, review.status))}</span>"
                f"{overdue_badge if review.is_overdue else ''}</td>"
            )
        rows.append(
            "<tr>\n"
            f'<td class="stack-title text-nowrap"><a href="{link("review_detail", review.pk)}">'
            f"{when}</a></td>\n"
            f"{partner_cell}\n"
            f"{cadence}\n"
            f'<td class="text-break" data-label="{labels["place"]}">'
            f"{escape(review.location or '—')}</td>\n"
            f"{organiser}\n"
            f'<td class="text-end" data-label="{labels["open"]}">{review.open_items}</td>\n'
            f"{status}\n"
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
