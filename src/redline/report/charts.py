"""Inline SVG bar charts with confidence-interval whiskers.

Hand-written SVG rather than matplotlib: a few kilobytes per chart, crisp at
any zoom, styled by the report's CSS, and nothing to import at render time.
Every text node goes through ``escape`` because labels come from user data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from redline.stats import Interval

# Room for a 28-character label (the truncation limit) at the chart font, with its padding.
_LABEL_W = 220
_BAR_W = 420
_VALUE_W = 150
_ROW_H = 26
_TOP = 26
_BOTTOM = 8


@dataclass(frozen=True)
class Bar:
    """One row of a chart: a name, its rate with interval, and ``events/trials``."""

    label: str
    interval: Interval
    events: int
    trials: int


def _truncate(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _x(value: float) -> float:
    return _LABEL_W + max(0.0, min(1.0, value)) * _BAR_W


def bar_chart(bars: Sequence[Bar], *, title: str, tone: str) -> Markup:
    """A horizontal bar chart (0-100%) of ``bars`` with whiskers for each interval.

    ``tone`` is a CSS class suffix (``danger``, ``warn``...) that colours the bars.
    """
    width = _LABEL_W + _BAR_W + _VALUE_W
    height = _TOP + len(bars) * _ROW_H + _BOTTOM
    parts = [
        f'<svg class="chart chart-{escape(tone)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = _x(tick)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" '
            f'y2="{height - _BOTTOM}"/>'
            f'<text class="tick" x="{x:.1f}" y="{_TOP - 10}" text-anchor="middle">'
            f"{tick * 100:.0f}%</text>"
        )
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW_H
        mid = y + _ROW_H / 2
        parts.append(
            f'<text class="label" x="{_LABEL_W - 10}" y="{mid + 4:.1f}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(_truncate(bar.label))}</text>"
        )
        interval = bar.interval
        if interval.estimate is None:
            parts.append(
                f'<text class="value muted" x="{_LABEL_W + 6}" y="{mid + 4:.1f}">no labelled '
                "attempts</text>"
            )
            continue
        bar_w = max(_x(interval.estimate) - _LABEL_W, 1.5 if interval.estimate > 0 else 0.0)
        parts.append(
            f'<rect class="bar" x="{_LABEL_W}" y="{y + 6}" width="{bar_w:.1f}" '
            f'height="{_ROW_H - 12}" rx="2"/>'
        )
        low, high = _x(interval.low), _x(interval.high)
        parts.append(
            f'<g class="whisker"><line x1="{low:.1f}" y1="{mid:.1f}" x2="{high:.1f}" '
            f'y2="{mid:.1f}"/><line x1="{low:.1f}" y1="{mid - 5:.1f}" x2="{low:.1f}" '
            f'y2="{mid + 5:.1f}"/><line x1="{high:.1f}" y1="{mid - 5:.1f}" x2="{high:.1f}" '
            f'y2="{mid + 5:.1f}"/></g>'
        )
        parts.append(
            f'<text class="value" x="{_LABEL_W + _BAR_W + 10}" y="{mid + 4:.1f}">'
            f"{interval.estimate * 100:.1f}% "
            f'<tspan class="muted">({bar.events}/{bar.trials})</tspan></text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
