"""The monitoring report: one self-contained HTML file with time series, alerts and clusters.

Charts are inline SVG written here (no scripts, no external files), so the page opens
offline and can be attached to a ticket; every text from the logs is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from redline.monitor.alerts import Alert
from redline.monitor.store import ClusterRow, MonitorStore
from redline.monitor.windows import AuditAgreement, WindowSummary, audit_agreement

_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP = 1100, 220, 48, 24, 10
_COLOURS = ("#c62828", "#ef6c00", "#1565c0", "#6a1b9a", "#2e7d32", "#00838f", "#5d4037")
RATE_LINES = ("block_rate", "flag_rate", "refusal_rate", "over_refusal_rate")
TOP_CATEGORIES = 6


@dataclass(frozen=True)
class SeriesChart:
    """An SVG chart and its legend (name, colour)."""

    svg: Markup
    legend: list[tuple[str, str]]


def line_chart(series: dict[str, list[float]], labels: Sequence[str], *, title: str) -> SeriesChart:
    """Rates (0..max) per window as polylines, one per named series."""
    top = max((max(v) for v in series.values() if v), default=0.0) or 1.0
    plot_w, plot_h = _WIDTH - _LEFT - 10, _HEIGHT - _TOP - _BOTTOM
    steps = max(len(labels) - 1, 1)
    parts = [
        f'<svg class="series" role="img" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}"><title>{escape(title)}</title>'
    ]
    for tick in (0.0, 0.5, 1.0):
        y = _TOP + plot_h * (1 - tick)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{top * tick * 100:.1f}%</text>"
        )
    for index in sorted({0, len(labels) // 2, len(labels) - 1}) if labels else []:
        x = _LEFT + plot_w * index / steps
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{_HEIGHT - 6}" text-anchor="middle">'
            f"{escape(labels[index])}</text>"
        )
    legend = []
    for (name, values), colour in zip(series.items(), _COLOURS, strict=False):
        points = " ".join(
            f"{_LEFT + plot_w * i / steps:.1f},{_TOP + plot_h * (1 - v / top):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline stroke="{colour}" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        legend.append((name, colour))
    parts.append("</svg>")
    return SeriesChart(svg=Markup("".join(parts)), legend=legend)


def _charts(windows: Sequence[WindowSummary]) -> list[SeriesChart]:
    if not windows:
        return []
    labels = [w.start.strftime("%m-%d %H:%M") for w in windows]
    rates = {name: [w.rate(name) for w in windows] for name in RATE_LINES}
    totals: dict[str, int] = {}
    for window in windows:
        for name, count in window.categories.items():
            totals[name] = totals.get(name, 0) + count
    busiest = sorted(totals, key=lambda n: -totals[n])[:TOP_CATEGORIES]
    categories = {
        name: [w.categories.get(name, 0) / w.total if w.total else 0.0 for w in windows]
        for name in busiest
    }
    charts = [line_chart(rates, labels, title="block, flag, refusal and over-refusal rates")]
    if categories:
        charts.append(line_chart(categories, labels, title="guard categories"))
    return charts


def render_report(
    store: MonitorStore,
    *,
    windows: Sequence[WindowSummary],
    window_label: str,
    alerts: Sequence[Alert],
    clusters: Sequence[ClusterRow],
    rules_given: bool,
) -> str:
    """The report page as text."""
    env = Environment(
        loader=PackageLoader("redline.monitor", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    span = store.time_range()
    audit = audit_agreement(store.con).get(None, AuditAgreement())
    return env.get_template("monitor_report.html.j2").render(
        store=store.path.name,
        total=store.count(),
        first=span[0].isoformat() if span else None,
        last=span[1].isoformat() if span else None,
        window=window_label,
        problems=store.problem_count(),
        charts=_charts(windows),
        alerts=[a.as_dict() for a in alerts],
        rules=rules_given,
        clusters=clusters,
        audit=audit.line() if audit.texts else None,
    )


def write_report(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
