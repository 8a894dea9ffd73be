"""The cards of a partner's dashboard, written in Python: their headings, labels and empty-list
lines are the same for every reader of a language, written once per process for each language;
only the values of the page's context are escaped on each render."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from commissions.templatetags.payouts import payout_trend_chart
from partners.templatetags.partner_tags import money, status_badge
from prm.core.html import conditional_escape, escape
from prm.core.kept import Kept
from prm.core.links import link, nav
from prm.core.templatetags.prm import event_items

from .dashboard_tags import (
    _counted,
    _date,
    acknowledgement_items,
    action_item_list,
    open_case_items,
    partner_glance_tiles,
    unread_announcement_items,
)

register = template.Library()

# The constant messages of the cards, by name: each written as `{% translate %}` writes it (a
# translation is trusted text), once per language.
_MESSAGES = {
    "status": gettext_noop("Status"),
    "tier": gettext_noop("Tier"),
    "currency": gettext_noop("Currency"),
    "account_manager": gettext_noop("Your account manager"),
    "not_assigned": gettext_noop("Not assigned yet"),
    "profile": gettext_noop("Organisation profile"),
    "glance": gettext_noop("At a glance"),
    "payout_trend": gettext_noop("Payout trend"),
    "no_statements": gettext_noop("No statements yet."),
    "all_statements": gettext_noop("All statements"),
    "open_cases": gettext_noop("Open cases"),
    "no_open_cases": gettext_noop("No open cases."),
    "announcements": gettext_noop("Announcements"),
    "unread": gettext_noop("Unread"),
    "awaiting": gettext_noop("Awaiting your organisation's acknowledgement"),
    "all_read": gettext_noop("You have read every announcement."),
    "all_announcements": gettext_noop("All announcements"),
    "next_review": gettext_noop("Upcoming business review"),
    "when": gettext_noop("When"),
    "where": gettext_noop("Where"),
    "organiser": gettext_noop("Organiser"),
    "overdue": gettext_noop("Overdue"),
    "no_review": gettext_noop("No business review is scheduled."),
    "action_items": gettext_noop("Open action items"),
    "proposals": gettext_noop("Target proposals awaiting your answer"),
    "nothing_to_answer": gettext_noop("Nothing to answer."),
    "protection": gettext_noop("Price-protection claims to declare"),
    "no_claim": gettext_noop("No claim awaits your declaration."),
    "funds": gettext_noop("Market development funds"),
    "available": gettext_noop("available"),
    "no_fund": gettext_noop("No fund is open to your organisation."),
    "all_funds": gettext_noop("All funds, requests and claims"),
    "activity": gettext_noop("Recent activity"),
}


def _write_words() -> dict[str, str]:
    return {name: gettext(message) for name, message in _MESSAGES.items()}


_WORDS: Kept[dict[str, str]] = Kept(16)


def _words() -> dict[str, str]:
    """The cards' constant messages in the active language."""
    return _WORDS.get(get_language(), _write_words)


def _card(section: str, heading: str, body: str, *, card: str = "card h-100") -> str:
    """A card in its section: `section` the section's attributes (trusted), `heading` its
    escaped heading."""
    return f'<section {section}>\n<div class="{card}">\n{heading}\n{body}\n</div>\n</section>'


def _heading(key: str, icon: str, text: str) -> str:
    return (
        f'<h2 class="card-header h6" id="{key}-heading"><i class="bi {icon}" aria-hidden="true">'
        f"</i> {text}</h2>"
    )


def _titled_card(
    key: str, icon: str, text: str, body: str, *, width: str = "col-lg-6 col-xl-4"
) -> SafeString:
    """A card of the dashboard's grid, `width` wide, headed by `icon` and the escaped `text`,
    its section labelled by that heading (`key`-heading); `body` is trusted."""
    section = f'class="{width}" aria-labelledby="{key}-heading"'
    return mark_safe(_card(section, _heading(key, icon, text), body))  # noqa: S308 - escaped


def _empty(text: str) -> str:
    return f'<p class="card-body small text-body-secondary mb-0">{text}</p>'


def _footer(url: str, text: str) -> str:
    return f'<div class="card-footer small"><a href="{conditional_escape(url)}">{text}</a></div>'


@register.simple_tag(takes_context=True)
def partner_dashboard_header(context) -> SafeString:
    """The organisation's name, the reader's role in it, its facts (status, tier, currency,
    account manager) and the link to its profile, then its "At a glance" tiles."""
    words = _words()
    partner = context["partner"]
    membership = context.get("current_membership")
    role = escape(membership.get_role_display()) if membership is not None else ""
    signed_in = gettext("You are signed in as %(role)s.") % {"role": role}
    manager = partner.account_manager
    if manager:
        email = conditional_escape(manager.email)
        manager_text = (
            f'{conditional_escape(manager.get_full_name())} <a href="mailto:{email}">{email}</a>'
        )
    else:
        manager_text = words["not_assigned"]
    tier = partner.tier
    return mark_safe(  # noqa: S308 - every value is escaped
        '<div class="page-header">\n<div>\n'
        f"<h1>{conditional_escape(partner.display_name)}</h1>\n"
        f'<p class="text-body-secondary mb-1">{signed_in}</p>\n'
        '<dl class="organisation-facts small mb-0" id="organisation-facts">\n'
        f"<div><dt>{words['status']}</dt><dd>{status_badge(partner)}</dd></div>\n"
        f"<div><dt>{words['tier']}</dt>"
        f"<dd>{conditional_escape(tier) if tier else '—'}</dd></div>\n"
        f"<div><dt>{words['currency']}</dt><dd>{conditional_escape(partner.currency)}</dd></div>\n"
        f"<div><dt>{words['account_manager']}</dt><dd>{manager_text}</dd></div>\n"
        "</dl>\n</div>\n"
        f'<a class="btn btn-outline-primary" href="{link("partner_detail", partner.code)}">'
        f'<i class="bi bi-building" aria-hidden="true"></i> {words["profile"]}</a>\n'
        "</div>\n\n"
        '<section aria-labelledby="glance-heading" class="mb-4">\n'
        f'<h2 id="glance-heading" class="h5">{words["glance"]}</h2>\n'
        '<ul class="row g-3 list-unstyled mb-0">\n'
        f"{partner_glance_tiles(context)}\n"
        "</ul>\n</section>"
    )


@register.simple_tag(takes_context=True)
def partner_payout_card(context) -> SafeString:
    """The payout trend of the partner's statements, as a chart and a table."""
    words = _words()
    trend = context["trend"]
    if trend and trend["bars"]:
        body = payout_trend_chart(trend, "payout-trend")
    else:
        body = f'<p class="small text-body-secondary mb-0">{words["no_statements"]}</p>'
    return _titled_card(
        "payouts",
        "bi-cash-stack",
        words["payout_trend"],
        f'<div class="card-body">\n{body}\n</div>\n'
        + _footer(nav("statement_list"), words["all_statements"]),
        width="col-lg-7",
    )


@register.simple_tag(takes_context=True)
def partner_case_card(context) -> SafeString:
    """The partner's first open cases, with a link to all of them when there are more."""
    words = _words()
    open_cases, count = context["open_cases"], context["open_case_count"]
    if open_cases:
        body = (
            '<ul class="list-group list-group-flush small" id="open-cases">\n'
            f"{open_case_items(open_cases)}\n</ul>"
        )
        if count > len(open_cases):
            body += "\n" + _footer(
                nav("case_list"),
                _counted(
                    ngettext(
                        "See the %(counter)s open case", "See all %(counter)s open cases", count
                    ),
                    count,
                ),
            )
    else:
        body = _empty(words["no_open_cases"])
    width = "col-lg-5" if context["show_payouts"] else "col-12"
    return _titled_card("cases", "bi-chat-square-text", words["open_cases"], body, width=width)


@register.simple_tag(takes_context=True)
def partner_announcement_card(context) -> SafeString:
    """The announcements the reader has not opened and those awaiting the organisation's
    acknowledgement."""
    words = _words()
    unread, awaiting = context["unread_announcements"], context["awaiting_acknowledgement"]
    parts = []
    if unread:
        parts.append(
            f'<h3 class="h6 px-3 pt-3 mb-2 small fw-semibold">{words["unread"]}</h3>\n'
            '<ul class="list-group list-group-flush small" id="unread-announcements">\n'
            f"{unread_announcement_items(unread)}\n</ul>"
        )
    if awaiting:
        parts.append(
            f'<h3 class="h6 px-3 pt-3 mb-2 small fw-semibold">{words["awaiting"]}</h3>\n'
            '<ul class="list-group list-group-flush small" id="awaiting-acknowledgement">\n'
            f"{acknowledgement_items(awaiting)}\n</ul>"
        )
    if not parts:
        parts.append(_empty(words["all_read"]))
    url = context.get("announcement_url")
    if url:
        parts.append(_footer(url, words["all_announcements"]))
    return _titled_card("announcements", "bi-megaphone", words["announcements"], "\n".join(parts))


@register.simple_tag(takes_context=True)
def partner_review_card(context) -> SafeString:
    """The next business review (when, where, who organises it) and the open action items."""
    words = _words()
    review = context["next_review"]
    if review:
        moment = template_localtime(review.scheduled_at)
        overdue = (
            f' <span class="badge text-bg-danger">{words["overdue"]}</span>'
            if review.is_overdue
            else ""
        )
        organiser = review.organiser
        organiser_line = (
            f'\n<dt class="col-sm-4">{words["organiser"]}</dt><dd class="col-sm-8 mb-0">'
            f"{conditional_escape(organiser.get_full_name() or organiser.email)}</dd>"
            if organiser
            else ""
        )
        body = (
            '<dl class="card-body row small mb-0" id="next-review">\n'
            f'<dt class="col-sm-4">{words["when"]}</dt><dd class="col-sm-8">'
            f'<time datetime="{conditional_escape(moment.isoformat())}">'
            f"{conditional_escape(_date(moment, 'DATETIME_FORMAT'))}</time>{overdue}</dd>\n"
            f'<dt class="col-sm-4">{words["where"]}</dt><dd class="col-sm-8">'
            f"{conditional_escape(review.location or '—')}</dd>{organiser_line}\n</dl>"
        )
    else:
        body = _empty(words["no_review"])
    count = context["action_item_count"]
    badge = f' <span class="badge text-bg-secondary">{intcomma(count)}</span>' if count else ""
    items = action_item_list(
        context["action_items"], context["action_items_overdue_count"], show_partner=False
    )
    return _titled_card(
        "review",
        "bi-calendar-event",
        words["next_review"],
        f"{body}\n"
        '<h3 class="h6 px-3 pt-3 mb-2 border-top small fw-semibold" '
        f'id="partner-actions-heading">{words["action_items"]}{badge}</h3>\n{items}',
    )


@register.simple_tag(takes_context=True)
def partner_proposal_card(context) -> SafeString:
    """The target proposals awaiting the organisation's answer."""
    words = _words()
    proposals = context["awaiting_proposals"]
    if proposals:
        url = link("target_list", context["partner"].code)
        items = "\n".join(
            '<li class="list-group-item d-flex justify-content-between gap-2">'
            f'<a href="{url}">{conditional_escape(proposal.target.period)}</a>'
            f"<span>{conditional_escape(money(proposal.amount, proposal.target.currency))}"
            "</span></li>"
            for proposal in proposals
        )
        body = f'<ul class="list-group list-group-flush small">\n{items}\n</ul>'
    else:
        body = _empty(words["nothing_to_answer"])
    return _titled_card("proposals", "bi-bullseye", words["proposals"], body)


@register.simple_tag(takes_context=True)
def partner_protection_card(context) -> SafeString:
    """The price-protection claims to declare, each with its deadline (and the days left when
    three or fewer), with a link to all of them when there are more."""
    words = _words()
    claims, count = context["protection_claims"], context["protection_claim_count"]
    if claims:
        items = []
        for claim in claims:
            days = claim.days_left
            left = ""
            if days <= 3:
                days_left = ngettext("%(counter)s day left", "%(counter)s days left", days)
                left = f'<span class="badge text-bg-danger">{_counted(days_left, days)}</span> '
            by = gettext("by %(date)s") % {
                "date": conditional_escape(_date(claim.deadline, "SHORT_DATE_FORMAT"))
            }
            items.append(
                '<li class="list-group-item d-flex justify-content-between gap-2">'
                f'<a href="{link("protection_claim_detail", claim.pk)}">'
                f"{conditional_escape(claim.number)} {conditional_escape(claim.product.sku)}</a>"
                f'<span class="text-nowrap">{left}{by}</span></li>'
            )
        body = (
            '<ul class="list-group list-group-flush small" id="protection-claims">\n'
            + "\n".join(items)
            + "\n</ul>"
        )
        if count > len(claims):
            body += "\n" + _footer(
                context["protection_url"],
                _counted(
                    ngettext("See the %(counter)s claim", "See all %(counter)s claims", count),
                    count,
                ),
            )
    else:
        body = _empty(words["no_claim"])
    return _titled_card("protection", "bi-shield-check", words["protection"], body)


@register.simple_tag(takes_context=True)
def partner_fund_card(context) -> SafeString:
    """The first five market development fund budgets open to the organisation, each with what
    is left of it and the day its fund ends."""
    words = _words()
    budgets = context["fund_budgets"]
    if budgets:
        items = []
        for budget in budgets[:5]:
            fund = budget.fund
            until = gettext("until %(date)s") % {
                "date": conditional_escape(_date(fund.end, "SHORT_DATE_FORMAT"))
            }
            items.append(
                '<li class="list-group-item d-flex justify-content-between gap-2">'
                f"<span>{conditional_escape(fund.name)} "
                f'<span class="d-block text-body-secondary">{until}</span></span>'
                '<span class="text-nowrap text-end">'
                f"{conditional_escape(money(budget.available, budget.currency))} "
                f'<span class="d-block text-body-secondary">{words["available"]}</span>'
                "</span></li>"
            )
        body = (
            '<ul class="list-group list-group-flush small" id="fund-balances">\n'
            + "\n".join(items)
            + "\n</ul>"
        )
    else:
        body = _empty(words["no_fund"])
    return _titled_card(
        "funds",
        "bi-piggy-bank",
        words["funds"],
        body + "\n" + _footer(context["fund_url"], words["all_funds"]),
    )


@register.simple_tag(takes_context=True)
def partner_activity_card(context) -> SafeString:
    """The organisation's recent audit events, each read as a sentence."""
    words = _words()
    return mark_safe(  # noqa: S308 - every value is escaped
        _card(
            'aria-labelledby="activity-heading"',
            f'<h2 class="card-header h6" id="activity-heading">{words["activity"]}</h2>',
            event_items(context["events"]),
            card="card",
        )
    )
