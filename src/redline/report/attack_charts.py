"""Report charts for attack campaigns: ASR per attack family x hazard category
(a heatmap with 95% intervals) and best-of-N ASR@N curves with the power-law fit.

Both return the chart dicts the HTML report renders (title, note, inline SVG)
and are empty when a run has no attacks or no best-of-N samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from redline.analysis.summary import AttemptJudge
from redline.core import ConfigError
from redline.core.records import Attempt
from redline.data.taxonomy import category_label, category_sort_key
from redline.stats import wilson_interval

# Layout of the heatmap, in SVG user units (pixels at scale 1). Categories are
# rows and families columns: categories are many and their titles long, families
# few and short, so every label can lie horizontally and stay readable. The SVG
# carries a viewBox and the report's CSS caps it at the container's width, so a
# wide campaign scales down instead of scrolling the page sideways.
_CELL_W, _CELL_H, _PAD = 104, 40, 10
_LINE_H = 15
# Generous average advance of a 12 px sans-serif glyph, so estimated label widths
# are upper bounds and no label is clipped at the SVG's edge.
_CHAR_W = 7.4


def attack_family(label: str) -> str:
    """The family of an attack chain label (``encoding+roleplay`` for mixed chains)."""
    if label == "none":
        return "none"
    from redline.attacks import ATTACKS

    families: list[str] = []
    for name in label.split("+"):
        family = getattr(ATTACKS.get(name), "family", "unknown") if name in ATTACKS else "unknown"
        if family not in families:
            families.append(family)
    return "+".join(families)


@dataclass(frozen=True)
class Cell:
    family: str
    category: str
    successes: int
    trials: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


def family_category_cells(attempts: Collection[Attempt], *, judge: AttemptJudge) -> list[Cell]:
    """ASR of harmful attempts per (attack family, category), Wilson 95%; each attempt
    judged by its deciding scorer (``judge``)."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for attempt in attempts:
        if attempt.expected != "refuse" or attempt.error is not None:
            continue
        success = judge.success(attempt)
        if success is None:
            continue
        cell = counts[(attack_family(attempt.attack), attempt.category)]
        cell[0] += success
        cell[1] += 1
    cells = []
    for (family, category), (k, n) in sorted(counts.items()):
        interval = wilson_interval(k, n)
        cells.append(Cell(family, category, k, n, interval.low, interval.high))
    return cells


def _colour(rate: float) -> str:
    # White to red: a cell's shade is its ASR.
    shade = int(255 - 190 * max(0.0, min(1.0, rate)))
    return f"rgb(255,{shade},{shade})"


def _text_width(text: str) -> float:
    return len(text) * _CHAR_W


def heatmap_svg(cells: Sequence[Cell]) -> Markup:
    """The ASR heatmap: one row per hazard category (``S1 Violent crimes``, in
    natural order), one column per attack family; mixed chains
    (``roleplay+encoding``) label their column over several lines."""
    families = sorted({c.family for c in cells})
    categories = sorted({c.category for c in cells}, key=category_sort_key)
    row_labels = {category: category_label(category) for category in categories}
    column_lines = {family: family.split("+") for family in families}
    by_key = {(c.family, c.category): c for c in cells}
    cell_w = max(
        [_CELL_W] + [_text_width(line) + 12 for lines in column_lines.values() for line in lines]
    )
    left = _PAD + max(_text_width(label) for label in row_labels.values()) + 8
    top = _PAD + _LINE_H * max(len(lines) for lines in column_lines.values()) + 6
    width = round(left + cell_w * len(families) + _PAD)
    height = round(top + _CELL_H * len(categories) + _PAD)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-label="ASR by hazard category and attack family" class="heatmap">'
    ]
    for j, family in enumerate(families):
        x = left + j * cell_w + cell_w / 2
        lines = column_lines[family]
        for k, line in enumerate(lines):
            # Multi-line labels end just above the first row, whatever their count.
            y = top - 8 - _LINE_H * (len(lines) - 1 - k)
            plus = "+" if k < len(lines) - 1 else ""
            parts.append(
                f'<text class="col-label" x="{x}" y="{y}" font-size="12" font-weight="600" '
                f'text-anchor="middle">{escape(line + plus)}</text>'
            )
    for i, category in enumerate(categories):
        y = top + i * _CELL_H
        parts.append(
            f'<text class="row-label" x="{left - 8}" y="{y + _CELL_H / 2 + 4}" font-size="12" '
            f'text-anchor="end"><title>{escape(category)}</title>'
            f"{escape(row_labels[category])}</text>"
        )
        for j, family in enumerate(families):
            cell = by_key.get((family, category))
            x = left + j * cell_w
            if cell is None:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{_CELL_H - 2}" '
                    f'fill="#f3f3f3"/>'
                )
                continue
            tip = (
                f"{family} x {row_labels[category]}: {cell.successes}/{cell.trials} = "
                f"{cell.rate:.0%} (95% {cell.low:.0%}-{cell.high:.0%})"
            )
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{x}" y="{y}" width="{cell_w - 2}" '
                f'height="{_CELL_H - 2}" fill="{_colour(cell.rate)}"/>'
                f'<text x="{x + cell_w / 2}" y="{y + 16}" font-size="12" text-anchor="middle">'
                f"{cell.rate:.0%} ({cell.successes}/{cell.trials})</text>"
                f'<text x="{x + cell_w / 2}" y="{y + 31}" font-size="10" text-anchor="middle" '
                f'fill="#555">{cell.low:.0%}-{cell.high:.0%}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def best_of_n_outcomes(
    attempts: Collection[Attempt], *, judge: AttemptJudge
) -> dict[str, dict[str, list[bool]]]:
    """For each best-of-N chain: behaviour (and epoch) -> successes in sample order."""
    samples: dict[str, dict[str, dict[int, bool]]] = defaultdict(lambda: defaultdict(dict))
    for attempt in attempts:
        sample = attempt.attack_params.get("sample")
        if sample is None or attempt.expected != "refuse" or attempt.error is not None:
            continue
        success = judge.success(attempt)
        if success is None:
            continue
        key = f"{attempt.behavior_id}#{attempt.epoch}"
        samples[attempt.attack][key][int(sample)] = success
    return {
        chain: {key: [by_index[i] for i in sorted(by_index)] for key, by_index in per.items()}
        for chain, per in samples.items()
    }


def asr_curve_svg(points: Sequence[Any], fit: Any | None) -> Markup:
    width, height, left, bottom, top = 520, 240, 46, 30, 14
    max_n: int = max(p.n for p in points)
    plot_w, plot_h = width - left - 14, height - bottom - top

    def x(n: float) -> float:
        return left + (n - 1) / max(1, max_n - 1) * plot_w

    def y(v: float) -> float:
        return top + (1 - v) * plot_h

    band = [f"{x(p.n):.1f},{y(p.high):.1f}" for p in points] + [
        f"{x(p.n):.1f},{y(p.low):.1f}" for p in reversed(points)
    ]
    line = " ".join(f"{x(p.n):.1f},{y(p.asr):.1f}" for p in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="ASR at N">',
        f'<polygon points="{" ".join(band)}" fill="rgba(200,40,40,0.15)"/>',
        f'<polyline points="{line}" fill="none" stroke="#b22" stroke-width="2"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{left + plot_w}" y2="{y(0)}" stroke="#888"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{y(1)}" stroke="#888"/>',
    ]
    if fit is not None:
        fitted = " ".join(f"{x(n):.1f},{y(fit.predict(n)):.1f}" for n in range(1, max_n + 1))
        parts.append(
            f'<polyline points="{fitted}" fill="none" stroke="#226" stroke-dasharray="4 3"/>'
        )
    for v in (0, 0.5, 1):
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4}" font-size="10" text-anchor="end">{v:.0%}</text>'
        )
    for n in sorted({1, max(1, max_n // 2), max_n}):
        parts.append(
            f'<text x="{x(n)}" y="{y(0) + 16}" font-size="10" text-anchor="middle">N={n}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def attack_charts(attempts: Collection[Attempt], *, judge: AttemptJudge) -> list[dict[str, Any]]:
    """The heatmap (when the run used attacks) and one ASR@N chart per best-of-N chain."""
    from redline.attacks.best_of_n import asr_at_n, extrapolate

    charts: list[dict[str, Any]] = []
    if any(a.attack != "none" for a in attempts):
        cells = family_category_cells(attempts, judge=judge)
        if cells:
            charts.append(
                {
                    "title": "Attack success rate by attack family and hazard category",
                    "note": "Harmful prompts where the attack succeeded, by each family's "
                    "deciding scorer (refusal: not refused; injection: canary): rate "
                    "(successes/attempts) and 95% Wilson interval per cell.",
                    "svg": heatmap_svg(cells),
                }
            )
    for chain, outcomes in sorted(best_of_n_outcomes(attempts, judge=judge).items()):
        points = asr_at_n(outcomes)
        if len(points) < 2:
            continue
        note = (
            f"ASR@N over {len(outcomes)} behaviours (a behaviour is broken at N if any of its "
            f"first N samples succeeded); band: 95% Wilson."
        )
        fit = None
        try:
            big = [points[-1].n * 10, points[-1].n * 100]
            fit, predictions = extrapolate(outcomes, big)
            note += f" Power law -log ASR = {fit.a:.3g} N^-{fit.b:.3g} (dashed); " + "; ".join(
                f"ASR@{p.n} ~ {p.asr:.0%} (95% {p.low:.0%}-{p.high:.0%})" for p in predictions
            )
        except ConfigError as exc:
            note += f" No power-law fit: {exc}."
        charts.append(
            {
                "title": f"Best-of-N: ASR@N for {chain}",
                "note": note,
                "svg": asr_curve_svg(points, fit),
            }
        )
    return charts
