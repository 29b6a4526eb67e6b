"""The example ablation on the bundled SmolLM2-135M: 3 system prompts x guard on/off.

Runs ``examples/ablation/system-prompts-x-guard.yaml`` (or another study) through
:func:`redline.ablation.run_study`, then prints the headline metrics, the safety
tax and the wall time as Markdown for docs/benchmarks.md, and copies the
harmlessness-vs-capability Pareto chart (SVG) next to it.

    .venv/bin/python bench/ablation_example.py --runs-dir /tmp/ablation-runs \
        --svg docs/img/ablation-pareto.svg
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
from pathlib import Path

from redline.ablation import StudyResults, load_study, read_results, run_study
from redline.ablation.pareto_chart import pareto_chart

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "examples" / "ablation" / "system-prompts-x-guard.yaml"
)


def _pct(metric: object) -> str:
    estimate = getattr(metric, "estimate", None)
    if estimate is None:
        return "–"
    low, high, n = metric.low, metric.high, metric.n  # type: ignore[attr-defined]
    return f"{estimate * 100:.0f}% [{low * 100:.0f}, {high * 100:.0f}] (n={n})"


def write_svg(results: StudyResults, path: Path) -> None:
    """The harmlessness-vs-capability chart as a standalone SVG file (styles inlined)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    svg = pareto_chart(
        results.arms,
        x="harmlessness",
        y="capability",
        front=results.pareto.get("harmlessness_vs_capability", []),
        title="harmlessness vs capability",
        y_title="capability (share correct)",
    )
    style = (
        "<style>.grid{stroke:#e3e6eb}.tick{fill:#6b7280;font-size:11px}"
        ".label,.value{fill:#1f2430;font-size:12px}.whisker line{stroke:#9aa3b2}"
        ".point{fill:#fff;stroke:#3b6fd8;stroke-width:2}.point.front{fill:#3b6fd8}"
        ".frontier{fill:none;stroke:#3b6fd8;stroke-dasharray:4 3}</style>"
    )
    text = str(svg).replace('role="img"', 'xmlns="http://www.w3.org/2000/svg" role="img"', 1)
    path.write_text(text.replace("<title>", style + "<title>", 1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/ablation-runs"))
    parser.add_argument("--limit", type=int, default=None, help="cap every suite's sample")
    parser.add_argument("--svg", type=Path, default=None, help="write the Pareto chart here")
    parser.add_argument(
        "--chart-only", type=Path, default=None, help="re-draw --svg from this results.json"
    )
    args = parser.parse_args()
    if args.chart_only is not None and args.svg is not None:
        write_svg(read_results(args.chart_only), args.svg)
        return
    study = load_study(args.study)
    started = time.perf_counter()
    outcome = asyncio.run(run_study(study, runs_dir=args.runs_dir, limit=args.limit))
    elapsed = time.perf_counter() - started
    results = outcome.results
    print(f"machine: {platform.machine()}, {platform.system()}; wall time {elapsed:.0f} s")
    sizes = ", ".join(f"{name} {suite['prompts']}" for name, suite in results.suites.items())
    print(f"prompts per suite: {sizes}")
    print()
    print("| arm | harmlessness | over-refusal | capability | Pareto (H vs C) |")
    print("|---|---|---|---|---|")
    front = results.pareto.get("harmlessness_vs_capability", [])
    for arm in results.arms:
        cells = [_pct(arm.metric(m)) for m in ("harmlessness", "over_refusal", "capability")]
        print(f"| {arm.name} | {' | '.join(cells)} | {'yes' if arm.name in front else ''} |")
    print()
    print("| arm | Δ harmlessness | Δ capability | Δ over-refusal | significant (Holm) |")
    print("|---|---|---|---|---|")
    for row in results.safety_tax:
        deltas = [
            "–" if d is None else f"{d * 100:+.0f} pt"
            for d in (row.harmlessness_delta, row.capability_delta, row.over_refusal_delta)
        ]
        print(f"| {row.arm} | {' | '.join(deltas)} | {', '.join(row.significant) or 'none'} |")
    significant = sum(c.significant for c in results.comparisons)
    print(
        f"\n{significant} of {len(results.comparisons)} paired comparisons significant after Holm"
    )
    for warning in results.warnings:
        print(f"warning: {warning}")
    print(f"results: {outcome.results_path}\nreport: {outcome.report_path}")
    if args.svg is not None:
        write_svg(results, args.svg)
        print(f"chart: {args.svg}")


if __name__ == "__main__":
    main()
