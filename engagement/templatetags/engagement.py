from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from engagement.models_commitments import Commitment
from prm.core.dates import format_value
from prm.core.html import conditional_escape, format_html
from prm.core.kept import Kept

register = template.Library()

# The kind of case a miss is about.
CASE_KIND = {
    Commitment.PAYOUT: "payout",
    Commitment.PRICE_NOTICE: "pricing",
    Commitment.PROTECTION_DECISION: "pricing",
}


@register.filter
def miss_case_url(instance) -> str:
    """The case form, prefilled with the kind and a subject naming the missed instance."""
    subject = _("Missed commitment: %(commitment)s, %(ref)s") % {
        "commitment": Commitment(instance.kind).label,
        "ref": instance.label,
    }
    query = urlencode({"kind": CASE_KIND.get(instance.kind, "other"), "subject": subject})
    return f"{reverse('case_open')}?{query}"


@register.filter
def instance_url(instance, can) -> str:
    """The instance's own page when the user may open it, else ""."""
    if not instance.url_name or instance.url_pk is None:
        return ""
    if instance.url_name in ("statement_detail", "protection_claim_detail") and not (can or {}).get(
        "see_payouts"
    ):
        return ""
    return reverse(instance.url_name, args=[instance.url_pk])


@register.simple_tag
def health_part_rows(parts) -> SafeString:
    """The rows of the relationship health table: each part's label, weight and value (or "no
    data")."""
    labels = (_("Weight"), _("Value"))
    no_data = format_html('<span class="text-body-secondary">{}</span>', _("no data"))
    return mark_safe(  # noqa: S308 - every row is written by format_html
        "".join(
            format_html(
                '<tr data-part="{}"><th scope="row" class="stack-title fw-normal">{}</th>'
                '<td class="num" data-label="{}">{}</td><td class="num" data-label="{}">{}</td>'
                "</tr>",
                part.key,
                part.label,
                labels[0],
                localize(part.weight),
                labels[1],
                no_data if part.value is None else localize(part.value),
            )
            for part in parts
        )
    )


def _write_health_words() -> dict[str, str]:
    """The relationship health card's constant messages, as `{% translate %}` writes them."""
    return {
        "heading": _("Relationship health"),
        "out_of": _("out of 100"),
        "explained": _(
            "The score is the weighted mean of the parts that have a value, from 0 to 100."
        ),
        "as_of": _("As of"),
        "part": _("Part"),
        "weight": _("Weight"),
        "value": _("Value"),
        "by_quarter": _("By quarter"),
        "commitments": _("Commitments, instance by instance"),
    }


_HEALTH_WORDS: Kept[dict[str, str]] = Kept(16)


def _health_badge(score) -> str:
    """The score as a badge coloured by its band."""
    if score >= 75:
        css = "text-bg-success"
    elif score >= 50:
        css = "text-bg-warning"
    else:
        css = "text-bg-danger"
    return f'<span class="badge {css}">{conditional_escape(localize(score))}</span>'


@register.simple_tag
def health_card(health, health_trend, commitments_url, health_class) -> SafeString:
    """The relationship health card (engagement.health): the score and its parts with the time
    they were taken, the stored quarterly scores (oldest first) and a link to the commitments
    page when `commitments_url`; its section's class is `health_class` ("card" without one).

    {% health_card health health_trend commitments_url health_class %}
    """
    words = _HEALTH_WORDS.get(get_language(), _write_health_words)
    score = health.score
    badge = (
        f'<span id="health-score">{_health_badge(score)}<span class="visually-hidden"> '
        f"{words['out_of']}</span></span>"
        if score is not None
        else ""
    )
    taken = ""
    if health.taken_at:
        moment = template_localtime(health.taken_at)
        taken = (
            f' <span id="health-taken-at">{words["as_of"]} '
            f'<time datetime="{conditional_escape(moment.isoformat())}">'
            f"{conditional_escape(format_value(moment, get_format('SHORT_DATETIME_FORMAT')))}"
            "</time>.</span>"
        )
    trend = ""
    if health_trend:
        quarters = "".join(
            f'<li class="list-inline-item">{conditional_escape(snapshot.quarter)}: '
            + (
                f"<strong>{conditional_escape(localize(snapshot.score))}</strong>"
                if snapshot.score is not None
                else "—"
            )
            + "</li>"
            for snapshot in health_trend
        )
        trend = (
            '\n<div class="card-body small border-top flex-grow-0">\n'
            f'<h3 class="h6 small text-uppercase text-body-secondary">{words["by_quarter"]}</h3>\n'
            f'<ul class="list-inline mb-0" id="health-trend">{quarters}</ul>\n</div>'
        )
    footer = (
        f'\n<div class="card-footer small"><a href="{conditional_escape(commitments_url)}">'
        f"{words['commitments']}</a></div>"
        if commitments_url
        else ""
    )
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<section class="{conditional_escape(health_class or "card")}" id="health" '
        'aria-labelledby="health-heading">\n<div class="card h-100">\n'
        '<h2 class="card-header h6 d-flex justify-content-between align-items-center" '
        'id="health-heading"><span><i class="bi bi-heart-pulse" aria-hidden="true"></i> '
        f"{words['heading']}</span>{badge}</h2>\n"
        '<table class="table table-stack table-sm mb-0 small" id="health-parts">\n'
        f'<caption class="px-3 small">{words["explained"]}{taken}</caption>\n'
        f'<thead><tr><th scope="col">{words["part"]}</th><th scope="col" class="num">'
        f'{words["weight"]}</th><th scope="col" class="num">{words["value"]}</th></tr></thead>\n'
        f"<tbody>\n{health_part_rows(health.parts)}\n</tbody>\n</table>{trend}{footer}\n"
        "</div>\n</section>"
    )
