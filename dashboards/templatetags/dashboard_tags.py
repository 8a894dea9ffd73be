"""The dashboards' tiles and short lists, written in Python: a dashboard shows a dozen lists of a
few rows each, which as template nodes cost more than reading them."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import numberformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext

from disputes.templatetags.cases import STATUS_LABELS, sla_deadlines
from partners.models import ActionItem
from partners.templatetags.partner_tags import (
    ANNOUNCEMENT_CATEGORY_LABELS,
    RISK_BADGE_CLASSES,
    RISK_BADGE_DEFAULT,
    RISK_LABELS,
    money,
    percent,
)
from prm.core.dates import format_value
from prm.core.html import conditional_escape, escape, format_html
from prm.core.kept import Kept
from prm.core.links import link, nav

register = template.Library()

ACTION_SIDE_LABELS = dict(ActionItem.Side.choices)

_ITEM = '<li class="list-group-item d-flex justify-content-between gap-2">{}</li>'
_OVERDUE = '<span class="badge text-bg-danger">{}</span> '


URGENT_ICON = ' <i class="bi bi-exclamation-triangle-fill stat-alert" aria-hidden="true"></i>'


# Choice labels and number formats in each language, read once per process.
_LABELS: Kept = Kept(64)


def _labels(name: str, labels: dict) -> dict[str, str]:
    """`labels` (the choices of a field, by value, named `name`) as text in the active language,
    translated once per process for each language."""
    return _LABELS.get(
        (name, get_language()), lambda: {value: str(label) for value, label in labels.items()}
    )


def _lines(lines: list[str]) -> SafeString:
    return mark_safe("\n".join(lines))  # noqa: S308 - every value in the lines is escaped


def _date(value, format_name: str) -> str:
    """`{{ value|date:format_name }}` in the reader's time zone."""
    return format_value(template_localtime(value), get_format(format_name))


def _number_formats(language: str | None) -> tuple:
    """The decimal separator, digit grouping and thousand separator of `language`, the active
    language, as django.utils.formats.number_format reads them."""
    return _LABELS.get(
        ("numbers", language),
        lambda: tuple(
            get_format(name, language, use_l10n=True)
            for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
        ),
    )


def _integer(value, *, grouped: bool) -> str:
    """An integer as `localize` (or, `grouped`, humanize's `intcomma`) writes it in the active
    language, its formats read once per language; any other value by those functions."""
    if type(value) is not int:
        return intcomma(value) if grouped else localize(value)
    decimal_sep, grouping, thousand_sep = _number_formats(get_language())
    return numberformat.format(
        value, decimal_sep, None, grouping, thousand_sep, force_grouping=grouped, use_l10n=True
    )


def _counted(message: str, count: int, **values) -> SafeString:
    """A `{% blocktranslate count counter=count %}` sentence from its translated `message`
    (ngettext's): the message is trusted, the values are escaped."""
    values = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(message % {"counter": _integer(count, grouped=False), **values})  # noqa: S308


@register.simple_tag
def stat_tiles(tiles: list[dict]) -> SafeString:
    """The tiles of "Needs you today": a count, an icon and a label, linked to the list they
    count when there is one, marked when urgent."""
    lines = []
    for tile in tiles:
        urgent = tile["urgent"]
        alert = URGENT_ICON if urgent else ""
        body = (
            f'\n<div class="card-body">\n<div class="stat-value text-body">'
            f"{conditional_escape(_integer(tile['count'], grouped=True))}{alert}</div>\n"
            f'<div class="stat-label"><i class="bi {conditional_escape(tile["icon"])}"'
            f' aria-hidden="true"></i> {conditional_escape(tile["label"])}</div>\n</div>\n'
        )
        if tile["url"]:
            css = " stat-card-urgent" if urgent else ""
            card = (
                f'<a class="card stat-card h-100 text-decoration-none{css}"'
                f' href="{conditional_escape(tile["url"])}">{body}</a>'
            )
        else:
            card = f'<div class="card stat-card h-100">{body}</div>'
        key = conditional_escape(tile["key"])
        lines.append(f'<li class="col-6 col-md-4" id="tile-{key}">\n{card}\n</li>')
    return _lines(lines)


@register.simple_tag
def chart_table_rows(chart, value_label: str) -> SafeString:
    """The rows of the table beside a column chart (disputes.charts.column_chart): each
    column's label, and its text under `value_label`."""
    label = conditional_escape(value_label)
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<tr><th scope="row" class="stack-title fw-normal">{conditional_escape(column.label)}'
            f'</th><td class="num" data-label="{label}">{conditional_escape(column.text)}</td></tr>'
            for column in chart.columns
        )
    )


@register.simple_tag
def breached_case_rows(cases) -> SafeString:
    """The rows of the vendor dashboard's cases past an SLA deadline: number and subject
    (escalated or not), partner, owner and age in days."""
    partner_label, owner_label, age_label = (
        escape(gettext("Partner")),
        escape(gettext("Owner")),
        escape(gettext("Age")),
    )
    escalated = f' <span class="badge text-bg-danger">{escape(gettext("Escalated"))}</span>'
    rows = []
    for case in cases:
        age = _counted(
            ngettext("%(counter)s day", "%(counter)s days", case.age_days), case.age_days
        )
        rows.append(
            f'<tr>\n<td class="stack-title"><a href="{escape(link("case_detail", case.pk))}">'
            f"{escape(case.number)}</a> {escape(case.subject)}"
            f"{escalated if case.escalated_at else ''}</td>\n"
            f'<td data-label="{partner_label}">{escape(case.partner.code)}</td>\n'
            f'<td data-label="{owner_label}">{escape(case.owner or "—")}</td>\n'
            f'<td class="num" data-label="{age_label}">{age}</td>\n</tr>'
        )
    return _lines(rows)


def _partner_item(url: str, text, partner_code: str, value) -> str:
    """An item of a vendor short list: a link, the partner's code beside it, a value on the
    right (each escaped unless safe)."""
    return (
        '<li class="list-group-item d-flex justify-content-between gap-2">'
        f'<span><a href="{escape(url)}">{conditional_escape(text)}</a> <span'
        f' class="text-body-secondary">{escape(partner_code)}</span></span>'
        f'<span class="text-nowrap">{conditional_escape(value)}</span></li>'
    )


@register.simple_tag
def pending_deal_items(deals) -> SafeString:
    """The deal registrations waiting for a decision: customer, partner and estimated value."""
    return _lines(
        [
            _partner_item(
                link("deal_detail", deal.pk),
                deal.customer_name,
                deal.partner.code,
                money(deal.estimated_value, deal.currency),
            )
            for deal in deals
        ]
    )


@register.simple_tag
def proposal_items(proposals) -> SafeString:
    """The target proposals waiting for an answer: partner, period and amount."""
    return _lines(
        [
            format_html(
                _ITEM,
                format_html(
                    '<a href="{}">{} · {}</a><span class="text-nowrap">{}</span>',
                    link("target_list", proposal.target.partner.code),
                    proposal.target.partner.code,
                    proposal.target.period,
                    money(proposal.amount, proposal.target.currency),
                ),
            )
            for proposal in proposals
        ]
    )


@register.simple_tag
def expiring_agreement_items(agreements) -> SafeString:
    """The agreements ending soon: number, partner, and end date with the days left."""
    short_date = get_format("SHORT_DATE_FORMAT")
    return _lines(
        [
            _partner_item(
                link("agreement_detail", agreement.number),
                agreement.number,
                agreement.partner.code,
                _counted(
                    ngettext(
                        "ends %(date)s (in %(counter)s day)",
                        "ends %(date)s (in %(counter)s days)",
                        agreement.days_left,
                    ),
                    agreement.days_left,
                    date=format_value(agreement.end, short_date),
                ),
            )
            for agreement in agreements
        ]
    )


@register.simple_tag
def review_due_items(reviews) -> SafeString:
    """The business reviews due: partner, when, and whether the time has passed."""
    overdue = (
        '<span class="badge text-bg-danger"><i class="bi bi-exclamation-triangle"'
        f' aria-hidden="true"></i> {escape(gettext("Overdue"))}</span> '
    )
    short_datetime = get_format("SHORT_DATETIME_FORMAT")
    rows = []
    for review in reviews:
        partner = review.partner
        when = format_value(template_localtime(review.scheduled_at), short_datetime)
        rows.append(
            '<li class="list-group-item d-flex justify-content-between gap-2">'
            f'<span><a href="{escape(link("partner_detail", partner.code))}">'
            f"{escape(partner.code)}</a> · {escape(partner.display_name)}</span>"
            f'<span class="text-nowrap">{overdue if review.is_overdue else ""}'
            f"{escape(when)}</span></li>"
        )
    return _lines(rows)


@register.simple_tag
def draft_statement_items(statements) -> SafeString:
    """The draft statements: period, partner and total."""
    return _lines(
        [
            _partner_item(
                link("statement_detail", statement.pk),
                statement.period,
                statement.partner.code,
                money(statement.total, statement.currency),
            )
            for statement in statements
        ]
    )


@register.simple_tag
def flagged_partner_items(partners) -> SafeString:
    """The partners over their credit limit or rated high risk, with their badges (as
    partners.templatetags.partner_tags.risk_badges writes them)."""
    over_limit = (
        ' <span class="badge rounded-pill text-bg-danger"'
        f' title="{escape(gettext("Overdue receivables exceed the credit limit"))}">'
        '<i class="bi bi-credit-card" aria-hidden="true"></i>'
        f" {escape(gettext('Over credit limit'))}</span>"
    )
    risks = _labels("risk_rating", RISK_LABELS)
    rows = []
    for partner in partners:
        rating = partner.risk_rating
        badges = (
            f'<span class="badge rounded-pill'
            f' {escape(RISK_BADGE_CLASSES.get(rating, RISK_BADGE_DEFAULT))}">'
            f"{escape(risks.get(rating, rating))}</span>"
        )
        if partner.is_over_credit_limit:
            badges += over_limit
        rows.append(
            f'<li class="list-group-item"><a href="{escape(link("partner_detail", partner.code))}">'
            f"{escape(partner.code)}</a> · {escape(partner.display_name)}"
            f"<div>{badges}</div></li>"
        )
    return _lines(rows)


@register.simple_tag
def action_item_list(items, overdue_count: int, show_partner: bool) -> SafeString:
    """The open action items from business reviews (each with `is_overdue`): how many are past
    their due date, then each item's title, side, owner and due date (the partner's code first
    when `show_partner`); or a line saying there is none."""
    if not items:
        return format_html(
            '<p class="card-body small text-body-secondary mb-0">{}</p>',
            gettext("No open action items."),
        )
    lines = []
    if overdue_count:
        lines.append(
            format_html(
                '<p class="card-body small mb-0 pb-0"><i class="bi bi-exclamation-triangle'
                ' text-danger" aria-hidden="true"></i> {}</p>',
                _counted(
                    ngettext(
                        "%(counter)s action item is past its due date.",
                        "%(counter)s action items are past their due date.",
                        overdue_count,
                    ),
                    overdue_count,
                ),
            )
        )
    overdue = f'<span class="badge text-bg-danger">{escape(gettext("Overdue"))}</span> '
    due_on = gettext("due %(date)s")
    short_date = get_format("SHORT_DATE_FORMAT")
    sides = _labels("action_item_side", ACTION_SIDE_LABELS)
    rows = []
    for item in items:
        partner = ""
        if show_partner:
            code = item.partner.code
            partner = f'<a href="{escape(link("partner_detail", code))}">{escape(code)}</a> · '
        owner = (
            f" · {escape(item.owner.get_full_name() or item.owner.email)}" if item.owner_id else ""
        )
        # The translated sentence is trusted; the date is escaped.
        due = due_on % {"date": escape(format_value(item.due_on, short_date))}
        rows.append(
            '<li class="list-group-item d-flex justify-content-between gap-2">\n'
            f"<span>{partner}{escape(item.title)}\n"
            f'<span class="d-block text-body-secondary">{escape(sides.get(item.side, item.side))}'
            f"{owner}</span></span>\n"
            f'<span class="text-nowrap text-end">{overdue if item.is_overdue else ""}{due}</span>'
            "\n</li>"
        )
    lines.append(
        '<ul class="list-group list-group-flush small" id="action-items">\n'
        + "\n".join(rows)
        + "\n</ul>"
    )
    return _lines(lines)


@register.simple_tag
def open_case_items(open_cases) -> SafeString:
    """A partner's open cases from (case, SLA state) pairs: number, subject, status and the
    deadlines with their countdowns."""
    statuses = _labels("case_status", STATUS_LABELS)
    return _lines(
        [
            format_html(
                '<li class="list-group-item">\n<div class="d-flex justify-content-between gap-2">'
                '<a href="{}">{} {}</a><span class="text-nowrap">{}</span></div>\n{}\n</li>',
                link("case_detail", case.pk),
                case.number,
                case.subject,
                statuses.get(case.status, case.status),
                sla_deadlines(case, sla),
            )
            for case, sla in open_cases
        ]
    )


@register.simple_tag
def unread_announcement_items(announcements) -> SafeString:
    """The announcements the reader has not opened: title, category and day published."""
    short_date = get_format("SHORT_DATE_FORMAT")
    categories = _labels("announcement_category", ANNOUNCEMENT_CATEGORY_LABELS)
    lines = []
    for announcement in announcements:
        published = template_localtime(announcement.published_at)
        lines.append(
            format_html(
                _ITEM,
                format_html(
                    '<span>{} <span class="d-block text-body-secondary">{}</span></span>'
                    '<time class="text-nowrap text-body-secondary" datetime="{}">{}</time>',
                    announcement.display_title,
                    categories.get(announcement.category, announcement.category),
                    published.isoformat(),
                    format_value(published, short_date),
                ),
            )
        )
    return _lines(lines)


@register.simple_tag
def acknowledgement_items(receipts) -> SafeString:
    """The announcements awaiting the organisation's acknowledgement: title, and the day to
    acknowledge them by, marked when it has passed."""
    overdue = format_html(_OVERDUE, gettext("Overdue"))
    short_date = get_format("SHORT_DATE_FORMAT")
    lines = []
    for receipt in receipts:
        announcement = receipt.announcement
        by = ""
        if announcement.acknowledge_by:
            day = format_value(template_localtime(announcement.acknowledge_by), short_date)
            by = mark_safe(  # noqa: S308 - the date is escaped
                gettext("by %(date)s") % {"date": conditional_escape(day)}
            )
        lines.append(
            format_html(
                _ITEM,
                format_html(
                    '<span>{}</span><span class="text-nowrap">{}{}</span>',
                    announcement.display_title,
                    overdue if receipt.is_overdue else "",
                    by,
                ),
            )
        )
    return _lines(lines)


def _glance_tile(key: str, css: str, body: str, url: str | None, link_css: str = "") -> str:
    """A tile of the partner's "At a glance": its body in a card, a link when `url`."""
    if url:
        card = format_html(
            '<a class="card stat-card h-100 text-decoration-none{}" href="{}">\n'
            '<div class="card-body">\n{}\n</div>\n</a>',
            link_css,
            url,
            body,
        )
    else:
        card = format_html(
            '<div class="card stat-card h-100">\n<div class="card-body">\n{}\n</div>\n</div>', body
        )
    return format_html('<li class="{}" id="tile-{}">\n{}\n</li>', css, key, card)


def _count_tile(count: int, icon: str, label: str, note: str = "") -> str:
    return format_html(
        '<div class="stat-value text-body">{}</div>\n'
        '<div class="stat-label"><i class="bi {}" aria-hidden="true"></i> {}</div>{}',
        intcomma(count),
        icon,
        label,
        note,
    )


def _target_tile(row, width) -> str:
    title = gettext("Sales vs target this month")
    label = format_html('<div class="stat-label">{}</div>\n', title)
    if row and row.target:
        if row.attainment is not None:
            attainment = percent(row.attainment)
            return label + format_html(
                '<div class="stat-value text-body">{}</div>\n<div class="progress my-2" '
                'role="progressbar" aria-label="{}" aria-valuenow="{}" aria-valuemin="0" '
                'aria-valuemax="100" aria-valuetext="{}"><div class="progress-bar w-{}"></div>'
                '</div>\n<div class="small text-body-secondary">{}</div>',
                attainment,
                title,
                width,
                attainment,
                width,
                mark_safe(  # noqa: S308 - the values are escaped
                    gettext("%(actual)s of %(target)s")
                    % {
                        "actual": conditional_escape(money(row.actual, row.currency)),
                        "target": conditional_escape(money(row.target, row.currency)),
                    }
                ),
            )
        return label + format_html(
            '<div class="stat-value text-body">{}</div>\n'
            '<div class="small text-body-secondary">{}</div>',
            money(row.target, row.currency),
            gettext("Agreed target · no sales yet"),
        )
    if row:
        return label + format_html(
            '<div class="stat-value text-body fs-5">{}</div>', gettext("Under negotiation")
        )
    return label + format_html(
        '<div class="stat-value text-body-secondary fs-5">{}</div>', gettext("No target yet")
    )


def _note(icon: str, text: str) -> str:
    return format_html(
        '\n<div class="small text-danger-emphasis mt-1"><i class="bi {}" aria-hidden="true"></i>'
        " {}</div>",
        icon,
        text,
    )


@register.simple_tag(takes_context=True)
def partner_glance_tiles(context) -> SafeString:
    """The tiles of a partner's "At a glance": sales against target, open cases, unread
    announcements, pending deals (for who sees deals), market development funds, price
    protection claims (for who sees payouts) and the next business review."""
    wide, narrow = "col-md-6 col-xl-4", "col-6 col-md-3 col-xl-2"
    partner = context["partner"]
    tiles = [
        _glance_tile(
            "target",
            wide,
            _target_tile(context["scorecard_row"], context["attainment_width"]),
            link("target_list", partner.code),
        )
    ]
    cases, breached = context["open_case_count"], context["breached_case_count"]
    tiles.append(
        _glance_tile(
            "cases",
            narrow,
            _count_tile(
                cases,
                "bi-chat-square-text",
                _counted(ngettext("open case", "open cases", cases), cases),
                _note(
                    "bi-alarm",
                    _counted(
                        ngettext(
                            "%(counter)s past a deadline", "%(counter)s past a deadline", breached
                        ),
                        breached,
                    ),
                )
                if breached
                else "",
            ),
            nav("case_list"),
        )
    )
    unread, to_acknowledge = context["unread_count"], context["acknowledgement_count"]
    tiles.append(
        _glance_tile(
            "announcements",
            narrow,
            _count_tile(
                unread,
                "bi-megaphone",
                _counted(ngettext("unread announcement", "unread announcements", unread), unread),
                _note(
                    "bi-pen",
                    _counted(
                        ngettext(
                            "%(counter)s to acknowledge",
                            "%(counter)s to acknowledge",
                            to_acknowledge,
                        ),
                        to_acknowledge,
                    ),
                )
                if to_acknowledge
                else "",
            ),
            context["announcement_url"],
        )
    )
    if context["show_deals"]:
        deals = context["pending_deal_count"]
        tiles.append(
            _glance_tile(
                "deals",
                narrow,
                _count_tile(
                    deals,
                    "bi-briefcase",
                    _counted(
                        ngettext(
                            "deal registration waiting for review",
                            "deal registrations waiting for review",
                            deals,
                        ),
                        deals,
                    ),
                ),
                f"{nav('deal_list')}?status=pending",
            )
        )
    if context["fund_available"] is not None:
        funds = format_html(
            '<div class="stat-value stat-money text-body">{}</div>\n<div class="stat-label">'
            '<i class="bi bi-piggy-bank" aria-hidden="true"></i> {}</div>',
            money(context["fund_available"], context["fund_currency"]),
            gettext("available in market development funds"),
        )
    else:
        funds = format_html(
            '<div class="stat-value text-body-secondary fs-5">{}</div>\n<div class="stat-label">'
            '<i class="bi bi-piggy-bank" aria-hidden="true"></i> {}</div>',
            gettext("No fund"),
            gettext("Market development funds"),
        )
    tiles.append(_glance_tile("funds", narrow, funds, context["fund_url"]))
    if context["show_payouts"]:
        claims = context["protection_claim_count"]
        first = context["protection_claims"][:1]
        deadline = (
            format_html(
                '\n<div class="small text-danger-emphasis mt-1">{}</div>',
                mark_safe(  # noqa: S308 - the date is escaped
                    gettext("next deadline %(date)s")
                    % {"date": conditional_escape(_date(first[0].deadline, "SHORT_DATE_FORMAT"))}
                ),
            )
            if first
            else ""
        )
        tiles.append(
            _glance_tile(
                "protection",
                narrow,
                _count_tile(
                    claims,
                    "bi-shield-check",
                    _counted(
                        ngettext(
                            "price-protection claim to declare",
                            "price-protection claims to declare",
                            claims,
                        ),
                        claims,
                    ),
                    deadline,
                ),
                context["protection_url"],
                " stat-card-urgent" if claims else "",
            )
        )
    review = context["next_review"]
    when = format_html(
        '<div class="stat-label"><i class="bi bi-calendar-event" aria-hidden="true"></i> {}</div>',
        gettext("Next business review"),
    )
    if review:
        moment = template_localtime(review.scheduled_at)
        when += format_html(
            '\n<div class="fw-semibold mt-1 text-body"><time datetime="{}">{}</time></div>{}',
            moment.isoformat(),
            format_value(moment, get_format("SHORT_DATETIME_FORMAT")),
            format_html(
                '\n<div class="small text-danger-emphasis">{}</div>',
                gettext("Overdue: not held yet"),
            )
            if review.is_overdue
            else "",
        )
    else:
        when += format_html(
            '\n<div class="mt-1 text-body-secondary">{}</div>', gettext("Not scheduled")
        )
    tiles.append(_glance_tile("review", narrow, when, context["review_url"]))
    return _lines(tiles)
