from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from engagement.models_commitments import Commitment
from prm.core.html import format_html

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
