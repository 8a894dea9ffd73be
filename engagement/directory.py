"""The health column of the partner directory: the score of the current quarter's snapshot (the
figure the 360° page, the dashboard and the API show), sortable and filterable by band
(registered with partners.selectors.directory in EngagementConfig.ready)."""

import functools

from django.db.models import IntegerField, OuterRef, Subquery
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from partners.selectors.directory import DirectoryColumn
from prm.core.html import format_html

from .health import quarter_label
from .models_health import HealthSnapshot


def health_annotate(partners):
    # One snapshot per partner and quarter: no ordering (the model's joins the partner).
    current = HealthSnapshot.objects.filter(
        partner=OuterRef("pk"), quarter=quarter_label(timezone.localdate())
    ).order_by()
    return partners.annotate(
        health_score=Subquery(current.values("score")[:1], output_field=IntegerField())
    )


HEALTH_BANDS = {
    "low": (_("Below 50"), 0, 50),
    "fair": (_("50 to 74"), 50, 75),
    "good": (_("75 and above"), 75, None),
    "none": (_("No score yet"), None, None),
}


def health_cell(partner) -> str:
    """The cell of `engagement/partials/_health_cell.html`, written for the directory's rows."""
    return _health_cell(get_language(), partner.health_score)


@functools.lru_cache(maxsize=256)
def _health_cell(language: str | None, score: int | None) -> str:
    """The cell of `score` in `language`, the active language: written once for each."""
    if score is None:
        badge = mark_safe('<span class="text-body-secondary">—</span>')
    else:
        tone = "success" if score >= 75 else "warning" if score >= 50 else "danger"
        badge = format_html('<span class="badge text-bg-{}">{}</span>', tone, score)
    return format_html(
        '<td class="text-end text-nowrap" data-label="{}" data-key="health_score">{}</td>',
        gettext("Health"),
        badge,
    )


HEALTH_COLUMN = DirectoryColumn(
    key="health_score",
    label=_("Health"),
    annotate=health_annotate,
    bands=HEALTH_BANDS,
    cell_template="engagement/partials/_health_cell.html",
    cell=health_cell,
)
