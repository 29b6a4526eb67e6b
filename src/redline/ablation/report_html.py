"""The study's HTML report: Pareto charts, arms, suites, safety tax, paired tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from redline.ablation.frontier import FRONTIERS
from redline.ablation.pareto_chart import pareto_chart
from redline.ablation.results import ALL_SUITES, StudyResults

_Y_TITLES = {
    "capability": "capability (share correct)",
    "over_refusal": "over-refusal (share of benign refused)",
}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pt"


def _settings(settings: dict[str, Any]) -> str:
    return json.dumps(settings, ensure_ascii=False)[:160] if settings else "(base target)"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("redline.ablation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(pct=_pct, signed=_signed, settings=_settings)
    return env


def render_study_html(results: StudyResults, path: Path) -> Path:
    """Write the study's report to ``path`` and return it."""
    charts = []
    for name, (x, y, _) in FRONTIERS.items():
        if name not in results.pareto:
            continue
        title = f"{x} vs {y}".replace("_", " ")
        charts.append(
            {
                "caption": f"{title}; filled points: the Pareto frontier "
                f"({', '.join(results.pareto[name]) or 'none'})",
                "svg": pareto_chart(
                    results.arms,
                    x=x,
                    y=y,
                    front=results.pareto[name],
                    title=title,
                    y_title=_Y_TITLES[y],
                ),
            }
        )
    suite_metrics = sorted(
        {(m.suite, m.metric) for arm in results.arms for m in arm.metrics if m.suite != ALL_SUITES}
    )
    headlines = [
        h
        for h in ("harmlessness", "over_refusal", "capability")
        if any(arm.metric(h) for arm in results.arms)
    ]
    html = (
        _environment()
        .get_template("study.html.j2")
        .render(
            r=results,
            charts=charts,
            headlines=headlines,
            suite_metrics=suite_metrics,
            headline_comparisons=[c for c in results.comparisons if c.suite == ALL_SUITES],
            total_prompts=sum(int(s["prompts"]) for s in results.suites.values()),
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
