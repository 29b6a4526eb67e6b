"""The Pareto chart of a study: one point per arm with its two intervals as whiskers,
the frontier joined by a line. Hand-written SVG in the style of
:mod:`redline.report.charts` (classes styled by the report's CSS, labels escaped)."""

from __future__ import annotations

from markupsafe import Markup, escape

from redline.ablation.results import ArmResult

_W, _H = 560, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 150, 24, 52


def _sx(value: float) -> float:
    return _LEFT + max(0.0, min(1.0, value)) * (_W - _LEFT - _RIGHT)


def _sy(value: float) -> float:
    return _H - _BOTTOM - max(0.0, min(1.0, value)) * (_H - _TOP - _BOTTOM)


def _axes(x_title: str, y_title: str) -> list[str]:
    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = _sx(tick), _sy(tick)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_H - _BOTTOM}"/>'
            f'<text class="tick" x="{x:.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle">'
            f"{tick * 100:.0f}%</text>"
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{tick * 100:.0f}%</text>"
        )
    middle_x = (_LEFT + _W - _RIGHT) / 2
    middle_y = (_TOP + _H - _BOTTOM) / 2
    parts.append(
        f'<text class="label" x="{middle_x:.1f}" y="{_H - 12}" text-anchor="middle">'
        f"{escape(x_title)}</text>"
        f'<text class="label" x="16" y="{middle_y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle_y:.1f})">{escape(y_title)}</text>'
    )
    return parts


def pareto_chart(
    arms: list[ArmResult], *, x: str, y: str, front: list[str], title: str, y_title: str
) -> Markup:
    """Arms at (``x``, ``y``) with 95% whiskers on both axes; ``front`` arms filled
    and joined in order of ``x``."""
    parts = [
        f'<svg class="chart pareto" role="img" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}"><title>{escape(title)}</title>',
        *_axes(f"{x.replace('_', ' ')} (share of harmful prompts refused)", y_title),
    ]
    points = []
    # Arms at the same place (common on small studies) get their labels stacked.
    stacked: dict[tuple[int, int], int] = {}
    for arm in arms:
        mx, my = arm.metric(x), arm.metric(y)
        if mx is None or my is None or mx.estimate is None or my.estimate is None:
            continue
        px, py = _sx(mx.estimate), _sy(my.estimate)
        points.append((mx.estimate, px, py, arm.name))
        place = (round(px), round(py))
        row = stacked.get(place, 0)
        stacked[place] = row + 1
        on_front = arm.name in front
        parts.append(
            f'<g class="whisker"><line x1="{_sx(mx.low):.1f}" y1="{py:.1f}" '
            f'x2="{_sx(mx.high):.1f}" y2="{py:.1f}"/><line x1="{px:.1f}" y1="{_sy(my.low):.1f}" '
            f'x2="{px:.1f}" y2="{_sy(my.high):.1f}"/></g>'
            f'<circle class="point{" front" if on_front else ""}" cx="{px:.1f}" cy="{py:.1f}" '
            f'r="5"><title>{escape(arm.name)}: {x} {mx.estimate:.0%} (n={mx.n}), '
            f"{y} {my.estimate:.0%} (n={my.n})</title></circle>"
            f'<text class="value" x="{px + 8:.1f}" y="{py - 6 - 14 * row:.1f}">'
            f"{escape(arm.name)}</text>"
        )
    line = sorted(p for p in points if p[3] in front)
    if len(line) > 1:
        joined = " ".join(f"{px:.1f},{py:.1f}" for _, px, py, _ in line)
        parts.append(f'<polyline class="frontier" points="{joined}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
