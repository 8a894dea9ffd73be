"""The agreement list's rows, written in Python rather than a dozen template nodes and an
included badge template per row."""

import html

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

from prm.core.columns import column_labels
from prm.core.links import linker

from ..models import Agreement, AgreementVersion

register = template.Library()

STATUS_LABELS = dict(Agreement.Status.choices)
TYPE_LABELS = dict(Agreement.Type.choices)


def status_badge(status: str) -> str:
    """What `agreements/_status_badge.html` writes for an agreement's status."""
    e = conditional_escape
    label = STATUS_LABELS.get(status, status)
    return (
        f'<span class="badge rounded-pill status-badge agreement-status-{e(status)}">'
        f"{e(label)}</span>"
    )


def _versions(agreement: Agreement, awaiting: str) -> str:
    """The published versions' cell; `awaiting` is "v%(n)s awaiting acceptance" translated."""
    parts = []
    for index, version in enumerate(agreement.published_versions):
        if version.status == AgreementVersion.Status.AWAITING_ACCEPTANCE:
            text = awaiting % {"n": version.number}
            parts.append(f'<span class="badge text-bg-warning">{html.escape(text)}</span>')
        elif index == 0:
            parts.append(f"v{version.number}")
    return "".join(parts)


@register.simple_tag
def agreement_rows(agreements, is_vendor):
    """The `<tr>`s of the agreement list: number, partner (for vendor staff), type, term,
    status with the end of a termination, and the published versions.

    {% agreement_rows agreements is_vendor %}
    """
    e = conditional_escape
    labels = column_labels(
        partner=gettext_noop("Partner"),
        type=gettext_noop("Type"),
        term=gettext_noop("Term"),
        status=gettext_noop("Status"),
        versions=gettext_noop("Versions"),
    )
    # Each status's badge, each type's label and each sentence are translated once per table.
    badges: dict[str, str] = {}
    types: dict[str, str] = {}
    ends_on = gettext("ends %(date)s")
    awaiting = gettext("v%(n)s awaiting acceptance")
    detail = linker("agreement_detail")
    rows = []
    for agreement in agreements:
        partner = agreement.partner
        partner_cell = (
            f'<td data-label="{labels["partner"]}">{html.escape(partner.display_name)} '
            f'<span class="small text-body-secondary">{html.escape(partner.code)}</span></td>'
            if is_vendor
            else ""
        )
        ends = ""
        if agreement.termination_effective:
            text = ends_on % {"date": f"{agreement.termination_effective:%Y-%m-%d}"}
            ends = f' <span class="small text-danger">{html.escape(text)}</span>'
        badge = badges.get(agreement.status)
        if badge is None:
            badge = badges[agreement.status] = status_badge(agreement.status)
        type_label = types.get(agreement.type)
        if type_label is None:
            type_label = types[agreement.type] = e(TYPE_LABELS.get(agreement.type, agreement.type))
        rows.append(
            "<tr>\n"
            f'<td class="stack-title"><a href="{detail(agreement.number)}">'
            f"{html.escape(agreement.number)}</a></td>\n"
            f"{partner_cell}\n"
            f'<td data-label="{labels["type"]}">{type_label}</td>\n'
            f'<td class="text-nowrap" data-label="{labels["term"]}">'
            f"{agreement.start:%Y-%m-%d} – {agreement.end:%Y-%m-%d}</td>\n"
            f'<td data-label="{labels["status"]}" data-key="status">'
            f"{badge}{ends}</td>\n"
            f'<td data-label="{labels["versions"]}">{_versions(agreement, awaiting)}</td>\n'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
