"""The payout trend: statement totals by period as a bar chart drawn on the server (inline SVG,
no script), shown on the payouts page and on the partner dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .models import Statement

BAR_SLOT = 60
BASELINE = 125
PLOT_HEIGHT = 100


def payout_trend(statements: Sequence[Statement]) -> dict:
    """Bars for `statements` given newest first (as statement_list orders them), drawn oldest
    first; heights scale to the largest absolute total, a negative total is marked."""
    rows = list(reversed(statements))
    top = max((abs(s.total) for s in rows), default=Decimal("0")) or Decimal("1")
    bars = []
    for index, s in enumerate(rows):
        height = int(abs(s.total) / top * PLOT_HEIGHT)
        bars.append(
            {
                "period": s.period,
                "total": s.total,
                "currency": s.currency,
                "status": s.status,
                "x": index * BAR_SLOT + 10,
                "y": BASELINE - height,
                "height": max(height, 1),
                "label_x": index * BAR_SLOT + 30,
                "negative": s.total < 0,
            }
        )
    return {"bars": bars, "width": len(rows) * BAR_SLOT + 20}
