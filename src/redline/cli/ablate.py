"""`redline ablate study.yaml`: run an ablation study and report its trade-offs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    JsonOption,
    NoProgressOption,
    RunsDirOption,
)

if TYPE_CHECKING:
    from redline.ablation import StudyEstimate, StudyResults


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pt"


def print_estimate(estimate: StudyEstimate, console: Console) -> None:
    """What a dry run found: prompts per suite, requests per arm, warnings."""
    prompts = ", ".join(f"{suite} {n}" for suite, n in estimate.prompts.items())
    console.print(f"study {estimate.study}: {sum(estimate.prompts.values())} prompts ({prompts})")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    for column in ("arm", "requests", "max completion tokens", "note"):
        table.add_column(column)
    for arm in estimate.arms:
        note = f"same configuration as {arm.shares_run_with}" if arm.shares_run_with else ""
        table.add_row(arm.arm, str(arm.requests), str(arm.max_completion_tokens), note)
    console.print(table)
    console.print(
        f"would send {estimate.requests} requests in {estimate.distinct_runs} runs "
        "(cached answers and finished runs are not sent again)"
    )


def print_results(results: StudyResults, console: Console) -> None:
    """Headline metrics per arm and the safety tax against the baseline."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold", title="arms")
    headlines = ("harmlessness", "over_refusal", "capability")
    table.add_column("arm")
    for name in headlines:
        table.add_column(f"{name.replace('_', ' ')} [95% CI]")
    table.add_column("run")
    for arm in results.arms:
        cells = []
        for name in headlines:
            m = arm.metric(name)
            cells.append(
                "–"
                if m is None or m.estimate is None
                else f"{_pct(m.estimate)} [{_pct(m.low)}, {_pct(m.high)}] n={m.n}"
            )
        front = " *" if any(arm.name in f for f in results.pareto.values()) else ""
        table.add_row(arm.name + front, *cells, arm.run_id)
    console.print(table)
    tax = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        header_style="bold",
        title=f"safety tax against {results.baseline}",
    )
    for column in ("arm", "Δ harmless", "Δ capability", "Δ over-refusal", "cost/pt", "signif."):
        tax.add_column(column)
    for row in results.safety_tax:
        cost = row.capability_cost_per_point
        tax.add_row(
            row.arm,
            _signed(row.harmlessness_delta),
            _signed(row.capability_delta),
            _signed(row.over_refusal_delta),
            "–" if cost is None else f"{cost:.2f}",
            ", ".join(row.significant) or "–",
        )
    console.print(tax)
    console.print("* on a Pareto frontier")


def ablate(
    study_file: Annotated[Path, typer.Argument(help="The study YAML (suites, arms, effects).")],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check the study, count requests, warn on power; send nothing."
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="At most N prompts per suite (a quick first look)."),
    ] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run every arm of a study on the same prompts and compare them: metrics with
    intervals, paired deltas (McNemar, Holm), Pareto frontiers, safety tax.

    Writes results.json and report.html under RUNS_DIR/studies/NAME. Re-running
    resumes: finished arms are read back, unfinished ones send only what is missing.
    Exit 2 on a bad study file (FILE:LINE: field), 3 when a run fails.
    """
    # Imported here so `redline --help` does not load the run machinery.
    from redline.ablation import estimate_study, load_study, plan_study, run_study, study_dir
    from redline.run import response_cache_path

    study = load_study(study_file)
    if dry_run:
        plan = plan_study(
            study,
            study_dir=study_dir(runs_dir, study),
            limit=limit,
            answers_cache=response_cache_path(runs_dir),
        )
        estimate = estimate_study(plan)
        if as_json:
            typer.echo(estimate.model_dump_json())
            return
        for warning in estimate.warnings:
            typer.secho(f"warning: {warning}", err=True, fg="yellow")
        print_estimate(estimate, Console(width=max(100, Console().width)))
        return
    outcome = asyncio.run(
        run_study(study, runs_dir=runs_dir, limit=limit, progress=not no_progress and not as_json)
    )
    if as_json:
        document = {
            "results": str(outcome.results_path),
            "report": str(outcome.report_path),
            "runs": outcome.run_status,
            **json.loads(outcome.results.model_dump_json()),
        }
        typer.echo(json.dumps(document))
    else:
        console = Console(width=max(100, Console().width))
        print_results(outcome.results, console)
        console.print(f"results: {outcome.results_path}")
        console.print(f"report: {outcome.report_path}")
    if any(status == "failed" for status in outcome.run_status.values()):
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Add ``redline ablate`` to the app."""
    app.command("ablate")(ablate)
