import datetime as dt
import functools
from html import escape

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from prm.core.columns import column_labels
from prm.core.html import conditional_escape, format_html
from prm.core.kept import Kept
from prm.core.links import linker

from ..models import Case, Priority

register = template.Library()


class _SlaWords:
    """The words of the SLA countdowns, translated once (per table for the case list)."""

    def __init__(self) -> None:
        self.days_hours = _("%(d)s d %(h)s h")
        self.hours_minutes = _("%(h)s h %(m)s min")
        self.minutes = _("%(m)s min")
        self.overdue = _("overdue by %(time)s")
        self.left = _("%(time)s left")
        self.paused = format_html(
            '<span class="badge text-bg-secondary">{}</span>', _("Clock paused")
        )
        self.first_response = conditional_escape(_("First response"))
        self.resolution = conditional_escape(_("Resolution"))
        self.timezone = get_current_timezone()

    def span(self, seconds: int) -> str:
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            return self.days_hours % {"d": days, "h": hours}
        if hours:
            return self.hours_minutes % {"h": hours, "m": minutes}
        return self.minutes % {"m": minutes}

    def time_left(self, delta: dt.timedelta) -> str:
        seconds = int(delta.total_seconds())
        text = self.span(abs(seconds))
        return (self.overdue if seconds <= 0 else self.left) % {"time": text}

    def deadline(self, label: str, left: dt.timedelta, breached: bool, due, paused: bool) -> str:
        local = due.astimezone(self.timezone)
        deadline = "" if paused else f' data-deadline="{escape(local.isoformat())}"'
        return (
            f'<div class="small{" text-danger fw-semibold" if breached else ""}">{label}: '
            f"<span{deadline}>{escape(self.time_left(left))}</span></div>"
        )

    def deadlines(self, case, sla: dict) -> str:
        """A case's countdowns (disputes.services.case_sla_state): the paused badge, then time
        left to the first response and to resolution, each with its deadline for the live
        clock."""
        parts = [self.paused] if sla["paused"] else []
        if sla["first_response_left"] is not None:
            parts.append(
                self.deadline(
                    self.first_response,
                    sla["first_response_left"],
                    sla["first_breached"],
                    case.first_response_due,
                    sla["paused"],
                )
            )
        if sla["resolution_left"] is not None:
            parts.append(
                self.deadline(
                    self.resolution,
                    sla["resolution_left"],
                    sla["resolution_breached"],
                    case.resolution_due,
                    sla["paused"],
                )
            )
        return "\n".join(parts)


@functools.lru_cache(maxsize=32)
def _sla_words_in(language: str | None, zone) -> _SlaWords:
    return _SlaWords()


def _sla_words() -> _SlaWords:
    """The SLA words in the active language and time zone, translated once per process."""
    return _sla_words_in(get_language(), get_current_timezone())


@register.filter
def duration_text(delta: dt.timedelta | None) -> str:
    """A mean duration such as `1 d 4 h`; empty when there is none."""
    if delta is None:
        return ""
    return _sla_words().span(int(delta.total_seconds()))


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, "")


@register.filter
def sla_left(delta: dt.timedelta | None) -> str:
    """`2 d 3 h left`, or `overdue by 5 h` once the deadline has passed."""
    if delta is None:
        return ""
    return _sla_words().time_left(delta)


@register.simple_tag
def sla_deadlines(case, sla: dict) -> str:
    """A case's countdowns (disputes.services.case_sla_state): the paused badge, then time left
    to the first response and to resolution, each with its deadline for the live clock."""
    return mark_safe(_sla_words().deadlines(case, sla))  # noqa: S308 - every value is escaped


KIND_LABELS = dict(Case.Kind.choices)
PRIORITY_LABELS = dict(Priority.choices)
STATUS_LABELS = dict(Case.Status.choices)


class _CaseTableWords:
    """The words of the case list's rows in one language, escaped: column labels, badges and
    the labels of kinds, priorities and statuses."""

    def __init__(self) -> None:
        e = conditional_escape
        self.labels = column_labels(
            partner=gettext_noop("Partner"),
            owner=gettext_noop("Owner"),
            kind=gettext_noop("Kind"),
            priority=gettext_noop("Priority"),
            status=gettext_noop("Status"),
            deadlines=gettext_noop("Deadlines"),
        )
        self.unassigned = f'<span class="badge text-bg-warning">{e(_("Unassigned"))}</span>'
        self.escalated = f' <span class="badge text-bg-danger">{e(_("Escalated"))}</span>'
        self.kinds, self.priorities, self.statuses = (
            {value: str(e(label)) for value, label in choices.items()}
            for choices in (KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS)
        )


@functools.lru_cache(maxsize=16)
def _case_table_words(language: str | None) -> _CaseTableWords:
    return _CaseTableWords()


@register.simple_tag
def case_rows(rows, is_vendor):
    """The `<tr>`s of the case list from (case, SLA state) pairs: number and subject, partner
    and owner (for vendor staff), kind, priority, status, and the deadlines. The cases are
    those of disputes.selectors.case_page, their parties read as columns.

    {% case_rows rows is_vendor %}
    """
    e = conditional_escape
    words = _case_table_words(get_language())
    labels, unassigned, escalated = words.labels, words.unassigned, words.escalated
    kinds, priorities, statuses = words.kinds, words.priorities, words.statuses
    sla_words = _sla_words()
    case_detail = linker("case_detail")
    out = []
    for case, sla in rows:
        vendor_cells = ""
        if is_vendor:
            other = f" ↔ {escape(case.other_partner_code)}" if case.other_partner_id else ""
            owner = (
                escape(case.owner_full_name or case.owner_email) if case.owner_id else unassigned
            )
            vendor_cells = (
                f'<td data-label="{labels["partner"]}">{escape(case.partner_code)}{other}</td>'
                f'<td data-label="{labels["owner"]}">{owner}</td>'
            )
        kind, priority, status = case.kind, case.priority, case.status
        out.append(
            "<tr>\n"
            f'<td class="stack-title"><a href="{case_detail(case.pk)}">'
            f"{escape(case.number)}</a><div>{escape(case.subject)}</div></td>\n"
            f"{vendor_cells}\n"
            f'<td data-label="{labels["kind"]}">{kinds.get(kind) or e(kind)}</td>\n'
            f'<td data-label="{labels["priority"]}">'
            f"{priorities.get(priority) or e(priority)}</td>\n"
            f'<td data-label="{labels["status"]}" data-key="status">'
            f"{statuses.get(status) or e(status)}"
            f"{escalated if case.escalated_at else ''}</td>\n"
            f'<td data-label="{labels["deadlines"]}">{sla_words.deadlines(case, sla)}</td>\n'
            "</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


def _status_options(is_vendor: bool, status: str) -> str:
    """The `<option>`s of the case list's status filter, `status` selected."""
    mark = " selected"
    choices = [
        ("active", _("Not yet resolved")),
        ("breached", _("Past an SLA deadline")),
        ("escalated", _("Escalated, not yet resolved")),
    ]
    if is_vendor:
        choices.append(("unassigned", _("Unassigned, not yet resolved")))
    choices.append(("all", _("All")))

    def option(value: str, label) -> str:
        selected = mark if value == status else ""
        return f'<option value="{escape(value)}"{selected}>{conditional_escape(label)}</option>'

    fixed = "\n".join(option(value, label) for value, label in choices)
    by_status = "".join(option(value, label) for value, label in STATUS_LABELS.items())
    return f"{fixed}\n{by_status}"


# The status filter's options by language, kind of user and selected filter.
_STATUS_OPTIONS: Kept[str] = Kept(64)
_STATUS_FILTERS = frozenset(
    ["active", "breached", "escalated", "unassigned", "all", *STATUS_LABELS]
)


@register.simple_tag
def case_status_options(status: str, is_vendor: bool):
    """The `<option>`s of the case list's status filter, `status` (a filter or a status)
    selected, written once per process for each language, kind of user and selection.

    {% case_status_options status is_vendor %}
    """
    key = (get_language(), bool(is_vendor), status if status in _STATUS_FILTERS else "")
    written = _STATUS_OPTIONS.get(key, lambda: _status_options(key[1], key[2]))
    return mark_safe(written)  # noqa: S308 - values and labels escaped


def _coordinate(value) -> str:
    """`localize(value)`: an int of fewer than four digits (a chart's coordinates) is its digits
    in every language, without asking the locale."""
    if type(value) is int and -1000 < value < 1000:
        return str(value)
    return localize(value)


@register.simple_tag
def column_chart_svg(chart, chart_id: str, title: str, empty_text: str) -> str:
    """A column chart drawn on the server (disputes.charts.column_chart): every column carries
    its label and value as text, so the chart reads without colour; `empty_text` when no
    column has a value."""
    if chart.empty:
        return format_html(
            '<p class="chart-empty text-body-secondary mb-3" id="{}-empty">{}</p>',
            chart_id,
            empty_text,
        )
    n = _coordinate
    description = "; ".join(f"{column.label}: {column.text}" for column in chart.columns)
    columns = "\n".join(
        format_html(
            '<g class="chart-bar" data-label="{}" data-value="{}">\n<rect x="{}" y="{}" '
            'width="{}" height="{}" fill="#2c5282"></rect>\n<text class="chart-value" x="{}" '
            'y="{}" text-anchor="middle" font-weight="600" fill="#1e293b">{}</text>\n'
            '<text class="chart-label" x="{}" y="{}" text-anchor="middle" fill="#334155">{}'
            "</text>\n</g>",
            column.label,
            n(column.value),
            n(column.x),
            n(column.y),
            n(column.width),
            n(column.height),
            n(column.centre),
            n(column.y - 6),
            column.text,
            n(column.centre),
            n(chart.label_y),
            column.label,
        )
        for column in chart.columns
    )
    return format_html(
        '<svg class="img-fluid d-block mb-3" id="{id}" width="{w}" height="{h}" viewBox="0 0 '
        '{w} {h}" font-size="12" role="img" aria-labelledby="{id}-title {id}-desc">\n'
        '<title id="{id}-title">{title}</title>\n<desc id="{id}-desc">{desc}</desc>\n'
        '<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#64748b" stroke-width="1">'
        "</line>\n{columns}\n</svg>",
        id=chart_id,
        w=n(chart.width),
        h=n(chart.height),
        title=title,
        desc=description,
        base=n(chart.baseline),
        columns=mark_safe(columns),  # noqa: S308 - every column is written by format_html
    )
