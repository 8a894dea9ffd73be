"""The dashboards' tiles and short lists, written in Python: a dashboard shows a dozen lists of a
few rows each, which as template nodes cost more than reading them."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

from disputes.templatetags.cases import STATUS_LABELS, sla_deadlines
from partners.models import ActionItem
from partners.templatetags.partner_tags import (
    ANNOUNCEMENT_CATEGORY_LABELS,
    money,
    percent,
    risk_badges,
)
from prm.core.dates import format_value
from prm.core.html import conditional_escape, format_html
from prm.core.links import link, nav

register = template.Library()

ACTION_SIDE_LABELS = dict(ActionItem.Side.choices)

_ITEM = '<li class="list-group-item d-flex justify-content-between gap-2">{}</li>'
_OVERDUE = '<span class="badge text-bg-danger">{}</span> '
_OVERDUE_WITH_ICON = (
    '<span class="badge text-bg-danger"><i class="bi bi-exclamation-triangle" aria-hidden="true">'
    "</i> {}</span> "
)


URGENT_ICON = ' <i class="bi bi-exclamation-triangle-fill stat-alert" aria-hidden="true"></i>'


def _lines(lines: list[str]) -> SafeString:
    return mark_safe("\n".join(lines))  # noqa: S308 - every value in the lines is escaped


def _date(value, format_name: str) -> str:
    """`{{ value|date:format_name }}` in the reader's time zone."""
    return format_value(template_localtime(value), get_format(format_name))


def _counted(message: str, count: int, **values) -> SafeString:
    """A `{% blocktranslate count counter=count %}` sentence from its translated `message`
    (ngettext's): the message is trusted, the values are escaped."""
    values = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(message % {"counter": localize(count), **values})  # noqa: S308


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
            f"{conditional_escape(intcomma(tile['count']))}{alert}</div>\n"
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
def breached_case_rows(cases) -> SafeString:
    """The rows of the vendor dashboard's cases past an SLA deadline: number and subject
    (escalated or not), partner, owner and age in days."""
    labels = (gettext("Partner"), gettext("Owner"), gettext("Age"))
    escalated = format_html(' <span class="badge text-bg-danger">{}</span>', gettext("Escalated"))
    return _lines(
        [
            format_html(
                '<tr>\n<td class="stack-title"><a href="{}">{}</a> {}{}</td>\n'
                '<td data-label="{}">{}</td>\n<td data-label="{}">{}</td>\n'
                '<td class="num" data-label="{}">{}</td>\n</tr>',
                link("case_detail", case.pk),
                case.number,
                case.subject,
                escalated if case.escalated_at else "",
                labels[0],
                case.partner.code,
                labels[1],
                case.owner or "—",
                labels[2],
                _counted(
                    ngettext("%(counter)s day", "%(counter)s days", case.age_days), case.age_days
                ),
            )
            for case in cases
        ]
    )


def _partner_item(url: str, text, partner_code: str, value) -> str:
    """An item of a vendor short list: a link, the partner's code beside it, a value on the
    right."""
    return format_html(
        _ITEM,
        format_html(
            '<span><a href="{}">{}</a> <span class="text-body-secondary">{}</span></span>'
            '<span class="text-nowrap">{}</span>',
            url,
            text,
            partner_code,
            value,
        ),
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
                    date=_date(agreement.end, "SHORT_DATE_FORMAT"),
                ),
            )
            for agreement in agreements
        ]
    )


@register.simple_tag
def review_due_items(reviews) -> SafeString:
    """The business reviews due: partner, when, and whether the time has passed."""
    overdue = format_html(_OVERDUE_WITH_ICON, gettext("Overdue"))
    return _lines(
        [
            format_html(
                _ITEM,
                format_html(
                    '<span><a href="{}">{}</a> · {}</span><span class="text-nowrap">{}{}</span>',
                    link("partner_detail", review.partner.code),
                    review.partner.code,
                    review.partner.display_name,
                    overdue if review.is_overdue else "",
                    _date(review.scheduled_at, "SHORT_DATETIME_FORMAT"),
                ),
            )
            for review in reviews
        ]
    )


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
    """The partners over their credit limit or rated high risk, with their badges."""
    return _lines(
        [
            format_html(
                '<li class="list-group-item"><a href="{}">{}</a> · {}<div>{}</div></li>',
                link("partner_detail", partner.code),
                partner.code,
                partner.display_name,
                risk_badges(partner),
            )
            for partner in partners
        ]
    )


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
    overdue = format_html(_OVERDUE, gettext("Overdue"))
    short_date = get_format("SHORT_DATE_FORMAT")
    rows = []
    for item in items:
        partner = (
            format_html(
                '<a href="{}">{}</a> · ',
                link("partner_detail", item.partner.code),
                item.partner.code,
            )
            if show_partner
            else ""
        )
        owner = (
            format_html(" · {}", item.owner.get_full_name() or item.owner.email)
            if item.owner_id
            else ""
        )
        due = mark_safe(  # noqa: S308 - the date is escaped
            gettext("due %(date)s")
            % {"date": conditional_escape(format_value(item.due_on, short_date))}
        )
        rows.append(
            format_html(
                '<li class="list-group-item d-flex justify-content-between gap-2">\n'
                '<span>{}{}\n<span class="d-block text-body-secondary">{}{}</span></span>\n'
                '<span class="text-nowrap text-end">{}{}</span>\n</li>',
                partner,
                item.title,
                ACTION_SIDE_LABELS.get(item.side, item.side),
                owner,
                overdue if item.is_overdue else "",
                due,
            )
        )
    lines.append(
        format_html(
            '<ul class="list-group list-group-flush small" id="action-items">\n{}\n</ul>',
            _lines(rows),
        )
    )
    return _lines(lines)


@register.simple_tag
def open_case_items(open_cases) -> SafeString:
    """A partner's open cases from (case, SLA state) pairs: number, subject, status and the
    deadlines with their countdowns."""
    return _lines(
        [
            format_html(
                '<li class="list-group-item">\n<div class="d-flex justify-content-between gap-2">'
                '<a href="{}">{} {}</a><span class="text-nowrap">{}</span></div>\n{}\n</li>',
                link("case_detail", case.pk),
                case.number,
                case.subject,
                STATUS_LABELS.get(case.status, case.status),
                sla_deadlines(case, sla),
            )
            for case, sla in open_cases
        ]
    )


@register.simple_tag
def unread_announcement_items(announcements) -> SafeString:
    """The announcements the reader has not opened: title, category and day published."""
    short_date = get_format("SHORT_DATE_FORMAT")
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
                    ANNOUNCEMENT_CATEGORY_LABELS.get(announcement.category, announcement.category),
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
