"""Geometry for small charts drawn on the server as inline SVG (no script, no inline styles).

The helpers only place shapes in a fixed coordinate space (the SVG's viewBox); the templates in
`templates/disputes/partials/` draw them, with a text label and value on every bar so a chart
reads without colour. A chart with nothing to show says so instead of drawing empty axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Hatched fill for the second series, so two series differ by more than colour.
PATTERNS = ("solid", "hatch")


@dataclass(frozen=True)
class Column:
    label: str
    value: float
    text: str
    x: int
    y: int
    width: int
    height: int
    centre: int


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars over a baseline: one per label, the value printed above the bar."""

    columns: list[Column]
    width: int
    height: int
    baseline: int

    @property
    def empty(self) -> bool:
        return not any(column.value for column in self.columns)

    @property
    def label_y(self) -> int:
        return self.baseline + 16


def column_chart(
    points: Sequence[tuple[str, float, str]], *, width: int = 720, height: int = 220
) -> ColumnChart:
    """`points` are (label, value, value as text); bars scale to the largest value."""
    top, bottom, side = 22, 26, 8
    plot = height - top - bottom
    baseline = top + plot
    slot = (width - 2 * side) // max(len(points), 1)
    bar_width = int(slot * 0.6)
    largest = max((value for _label, value, _text in points), default=0) or 1
    columns = []
    for index, (label, value, text) in enumerate(points):
        bar_height = round(plot * value / largest) if value > 0 else 0
        left = side + index * slot
        columns.append(
            Column(
                label=label,
                value=value,
                text=text,
                x=left + (slot - bar_width) // 2,
                y=baseline - bar_height,
                width=bar_width,
                height=bar_height,
                centre=left + slot // 2,
            )
        )
    return ColumnChart(columns=columns, width=width, height=height, baseline=baseline)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str
    pattern: str
    y: int
    width: int
    text_x: int
    text_y: int


@dataclass(frozen=True)
class BarGroup:
    heading: str
    y: int
    bars: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars in groups (one heading per group, one bar per series), each labelled on
    the left and with its value printed at its end. A bar without a value shows its text only."""

    groups: list[BarGroup]
    width: int
    height: int
    plot_x: int
    plot_width: int
    bar_height: int
    ticks: list[tuple[int, str]]

    @property
    def empty(self) -> bool:
        return all(bar.value is None for group in self.groups for bar in group.bars)

    @property
    def label_x(self) -> int:
        return self.plot_x - 8

    @property
    def axis_top(self) -> int:
        return 18

    @property
    def axis_bottom(self) -> int:
        return self.height - 4


def bar_chart(
    groups: Sequence[tuple[str, Sequence[tuple[str, float | None, str]]]],
    *,
    maximum: float = 100,
    width: int = 760,
    label_width: int = 150,
    value_width: int = 56,
    tick_format: str = "{}%",
) -> BarChart:
    """`groups` are (heading, [(series label, value or None, value as text), ...]); bar length is
    value / `maximum` of the plot width, with ticks at 0, half and `maximum`. The value's text
    goes after the bar's end, in `value_width` kept free on the right."""
    plot_x = label_width + 10
    plot_width = width - plot_x - value_width
    bar_height, gap, heading_height = 16, 6, 22
    y = 22  # below the tick labels
    drawn = []
    for heading, series in groups:
        group = BarGroup(heading=heading, y=y + 14)
        y += heading_height
        for index, (label, value, text) in enumerate(series):
            length = (
                0 if value is None else round(plot_width * min(max(value, 0), maximum) / maximum)
            )
            group.bars.append(
                Bar(
                    label=label,
                    value=value,
                    text=text,
                    pattern=PATTERNS[index % len(PATTERNS)],
                    y=y,
                    width=length,
                    text_x=plot_x + length + 6,
                    text_y=y + bar_height - 4,
                )
            )
            y += bar_height + gap
        y += gap
        drawn.append(group)
    ticks = [
        (plot_x + round(plot_width * share), tick_format.format(round(maximum * share)))
        for share in (0, 0.5, 1)
    ]
    return BarChart(
        groups=drawn,
        width=width,
        height=y + 4,
        plot_x=plot_x,
        plot_width=plot_width,
        bar_height=bar_height,
        ticks=ticks,
    )
