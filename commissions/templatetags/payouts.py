"""Statement lines in the reader's language. The stored description is the canonical English
text (the one exports carry); pages rebuild it from the line's structured explanation."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from prm.core.columns import column_labels
from prm.core.html import conditional_escape, format_html
from prm.core.links import link
from prm.core.money import minor_unit, quantize
from prm.core.templatetags.prm import money

from ..models import Statement
from ..rates import rate_text

register = template.Library()

KIND_LABELS = {
    "percent": lambda: _("percent"),
    "per_unit": lambda: _("per unit"),
    "tiered_marginal": lambda: _("tiered marginal"),
    "tiered_flat": lambda: _("tiered flat"),
}


def _num(value: str) -> str:
    return f"{Decimal(value):,.2f}"


def _factor(step: dict) -> str:
    text = format(Decimal(step["factor"]).normalize(), "f")
    return f"{text}%" if step["unit"] == "%" else text


@register.filter
def line_text(line, currency: str) -> str:
    """The line's description in the active language."""
    amount = f"{quantize(line.amount, currency):,f}"
    if line.kind == "adjustment":
        reason = line.adjustment.reason if line.adjustment_id else line.description
        return _("Adjustment: %(reason)s") % {"reason": reason}
    if line.kind == "restatement":
        return _restatement_text(line, currency)
    if line.kind == "carried":
        step = line.explanation[0]
        return _("Carried forward from %(period)s: %(amount)s") % {
            "period": step["period"],
            "amount": _signed(line.amount, currency),
        }
    if line.kind == "cap":
        step = line.explanation[0]
        return _("Cap %(cap)s: %(subtotal)s reduced by %(reduction)s") % {
            "cap": _num(step["cap"]),
            "subtotal": _num(step["subtotal"]),
            "reduction": f"{-line.amount:,.2f}",
        }
    rule = line.rule
    if rule is None:
        return line.description
    scope = _scope(rule)
    steps = [s for s in line.explanation if s.get("label") != "accelerator"]
    accelerator = next((s for s in line.explanation if s.get("label") == "accelerator"), None)
    if len(steps) == 1 and steps[0]["label"].startswith("bracket"):
        label = _("bracket %(number)s") % {"number": steps[0]["label"].split()[-1]}
    else:
        label = KIND_LABELS.get(rule.kind, lambda: rule.kind)()
    arithmetic = " + ".join(f"{_num(s['base'])} × {_factor(s)}" for s in steps)
    if accelerator is not None:
        arithmetic += " × " + _("%(multiplier)s (accelerator)") % {
            "multiplier": format(Decimal(accelerator["factor"]).normalize(), "f")
        }
    return f"{scope}, {label}: {arithmetic} = {amount}"


def _scope(rule) -> str:
    if rule.product_id:
        return rule.product.sku
    if rule.line_id:
        return rule.line.display_name
    return _("all products")


def _signed(amount: Decimal, currency: str) -> str:
    return f"{'+' if amount >= 0 else '−'}{abs(quantize(amount, currency)):,f}"


def _restatement_text(line, currency: str) -> str:
    step = line.explanation[0]
    scope = _("cap") if line.rule_id is None else _scope(line.rule)
    return _("%(period)s restated, %(scope)s: %(amount)s") % {
        "period": step["period"],
        "scope": scope,
        "amount": _signed(line.amount, currency),
    }


@register.simple_tag
def restatement_explained(line, currency: str) -> str:
    """Why a restatement line holds its amount, in numbers."""
    step = line.explanation[0]
    return _(
        "%(period)s recomputed now gives %(now)s here; its approved statement holds "
        "%(approved)s and earlier restatements %(earlier)s."
    ) % {
        "period": step["period"],
        "now": f"{quantize(Decimal(step['now']), currency):,f}",
        "approved": f"{quantize(Decimal(step['approved']), currency):,f}",
        "earlier": f"{quantize(Decimal(step['earlier']), currency):,f}",
    }


@register.filter
def exchange_rate(value) -> str:
    """A rate as the rate lists write it: 31.50, 7.805."""
    if value is None:
        return "—"
    return rate_text(Decimal(value))


@register.filter
def statement_status_badge(statement):
    """The statement's status as a badge."""
    return format_html(
        '<span class="badge rounded-pill status-badge statement-status-{}">{}</span>',
        statement.status,
        statement.get_status_display(),
    )


STATUS_LABELS = dict(Statement.Status.choices)


@register.simple_tag
def statement_rows(statements, is_vendor):
    """The `<tr>`s of the statement list: period (linking to the statement), partner (for vendor
    staff), status, net sales, total, when computed and when acknowledged. Each status badge
    and each currency is written once per table.

    {% statement_rows statements is_vendor %}
    """
    e = conditional_escape
    labels = column_labels(
        partner=gettext_noop("Partner"),
        status=gettext_noop("Status"),
        net_sales=gettext_noop("Net sales"),
        total=gettext_noop("Total"),
        computed=gettext_noop("Computed"),
        acknowledged=gettext_noop("Acknowledged"),
    )
    not_yet = e(_("Not yet"))
    not_yet = f'<span class="text-body-secondary">{not_yet}</span>'
    acknowledged_icon = '<i class="bi bi-check2-square text-success" aria-hidden="true"></i> '
    zone = timezone.get_current_timezone()
    status_cells: dict[str, str] = {}
    currency_cells: dict[str, tuple[Decimal, str]] = {}
    rows = []
    for statement in statements:
        status = statement.status
        status_cell = status_cells.get(status)
        if status_cell is None:
            status_cell = status_cells[status] = (
                f'<td data-label="{labels["status"]}" data-key="status">'
                f'<span class="badge rounded-pill status-badge statement-status-{e(status)}">'
                f"{e(STATUS_LABELS.get(status, status))}</span></td>"
            )
        currency = statement.currency
        unit = currency_cells.get(currency)
        if unit is None:
            unit = currency_cells[currency] = (
                Decimal(1).scaleb(-minor_unit(currency)),
                f' <small class="text-body-secondary">{e(currency)}</small>',
            )
        exponent, currency_tag = unit
        partner_cell = ""
        if is_vendor:
            partner = statement.partner
            partner_cell = (
                f'<td data-label="{labels["partner"]}">{e(partner.display_name)} '
                f'<span class="small text-body-secondary">{e(partner.code)}</span></td>'
            )
        computed_at = statement.computed_at
        computed = f"{computed_at.astimezone(zone):%Y-%m-%d %H:%M}" if computed_at else "—"
        if statement.acknowledged_at:
            acknowledged = (
                f"{acknowledged_icon}{statement.acknowledged_at.astimezone(zone):%Y-%m-%d}"
            )
        elif status != Statement.Status.DRAFT:
            acknowledged = not_yet
        else:
            acknowledged = "—"
        net_sales = statement.net_sales.quantize(exponent, rounding=ROUND_HALF_UP)
        total = statement.total.quantize(exponent, rounding=ROUND_HALF_UP)
        rows.append(
            "<tr>\n"
            f'<td class="stack-title"><a href="{link("statement_detail", statement.pk)}">'
            f"{e(statement.period)}</a></td>\n"
            f"{partner_cell}\n"
            f"{status_cell}\n"
            f'<td class="num" data-label="{labels["net_sales"]}">{net_sales:,f}</td>\n'
            f'<td class="num fw-semibold" data-label="{labels["total"]}" data-key="total">'
            f"{total:,f}{currency_tag}</td>\n"
            f'<td class="small text-body-secondary" data-label="{labels["computed"]}">'
            f"{computed}</td>\n"
            f'<td class="small" data-label="{labels["acknowledged"]}" data-key="acknowledged">'
            f"{acknowledged}</td>\n"
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag
def payout_trend_chart(trend, chart_id):
    """The payout trend (commissions.charts.payout_trend) as an inline SVG bar chart whose bars
    carry their period and total as text, then the same figures as a table, one row a period
    (it fits a phone however many periods there are).

    {% payout_trend_chart trend "trend" %}
    """
    e = conditional_escape
    chart = e(chart_id)
    width = trend["width"]
    title, caption = e(_("Payout totals by period")), e(_("The same figures as a table"))
    period_label, total_label = e(_("Period")), e(_("Total"))
    labels, bars, cells = [], [], []
    for bar in trend["bars"]:
        period = e(bar["period"])
        currency = e(bar["currency"])
        total = e(money(bar["total"], bar["currency"]))
        labels.append(f"{period}: {total} {currency}")
        negative = " negative" if bar["negative"] else ""
        y = bar["y"]
        bars.append(
            f'\n    <rect class="bar{negative}" x="{bar["x"]}" y="{y}" width="40" '
            f'height="{bar["height"]}"><title>{period}: {total} {currency}</title></rect>\n'
            f'    <text x="{bar["label_x"]}" y="140" text-anchor="middle">{period}</text>\n'
            f'    <text x="{bar["label_x"]}" y="{y - 4}" text-anchor="middle">{total}</text>\n  '
        )
        cells.append(
            f'<tr><th scope="row" class="fw-normal">{period}</th><td class="num">{total}</td></tr>'
        )
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<svg class="trend-chart" id="{chart}" viewBox="0 0 {width} 150" role="img" '
        f'aria-labelledby="{chart}-title {chart}-desc">\n'
        f'  <title id="{chart}-title">{title}</title>\n'
        f'  <desc id="{chart}-desc">{"; ".join(labels)}</desc>\n'
        f'  <line x1="0" y1="125" x2="{width}" y2="125" stroke="#94a3b8" stroke-width="1">'
        "</line>\n"
        f"  {''.join(bars)}\n"
        "</svg>\n"
        '<div class="table-responsive">\n'
        f'  <table class="table table-sm mt-2 mb-0" id="{chart}-table">\n'
        f'    <caption class="small">{caption}</caption>\n'
        f'    <thead><tr><th scope="col">{period_label}</th>'
        f'<th scope="col" class="num">{total_label}</th></tr></thead>\n'
        f"    <tbody>{''.join(cells)}</tbody>\n"
        "  </table>\n"
        "</div>\n"
    )
