"""`redline gate RUN --policy gates.yaml`: pass or fail a run for CI (exit code 1 on failure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption

if TYPE_CHECKING:
    from redline.analysis.gate import GateReport


def print_gate_report(report: GateReport, console: Console) -> None:
    """One row per check, then the verdict."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("gate", no_wrap=True)
    table.add_column("result", overflow="fold")
    for result in report.results:
        mark = Text("PASS", style="green") if result.passed else Text("FAIL", style="bold red")
        table.add_row(mark, result.id, result.message)
    head = f"run {report.run_id}" + (f" against {report.baseline_id}" if report.baseline_id else "")
    console.print(Text(head, style="bold"))
    console.print(table)
    if report.passed:
        console.print(Text(f"all {report.total} gate checks passed", style="green"))
    else:
        console.print(
            Text(f"{report.failed} of {report.total} gate checks failed", style="bold red")
        )


def gate(
    run_id: Annotated[str, typer.Argument(help="The run to gate (id or unique prefix).")],
    policy: Annotated[Path, typer.Option(help="The gates file (YAML).")],
    baseline: Annotated[
        str | None, typer.Option(help="A baseline run for regression gates.")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    sarif: Annotated[Path | None, typer.Option(help="Write a SARIF 2.1.0 log here.")] = None,
    reducer: Annotated[
        str | None,
        typer.Option(help="Reduce epochs per behaviour: mean, any, all, majority (or none)."),
    ] = None,
    scorer: Annotated[
        str | None, typer.Option(help="Whose labels to count [default: the policy's].")
    ] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Check a run against thresholds per category and metric (and, with --baseline,
    for significant regressions). Exit code 0 when every gate passes, 1 when one
    fails, 2 on a bad policy or run id."""
    from redline.analysis.gate import evaluate_gates, load_gate_policy
    from redline.report.junit import write_junit
    from redline.report.sarif import write_sarif
    from redline.store import RunStore

    gate_policy = load_gate_policy(policy)
    store = RunStore(runs_dir)
    run = store.open(run_id)
    base = store.open(baseline) if baseline is not None else None
    if run.info.status != "completed":
        typer.secho(f"warning: run {run.info.id} is {run.info.status}", err=True, fg="yellow")
    report = evaluate_gates(gate_policy, run, baseline=base, reducer=reducer, scorer=scorer)
    written = {}
    if junit is not None:
        written["junit"] = str(write_junit(report, junit))
    if sarif is not None:
        written["sarif"] = str(write_sarif(report, sarif))
    if as_json:
        typer.echo(json.dumps({**report.model_dump(mode="json"), "written": written}))
    else:
        print_gate_report(report, Console())
        for kind, path in written.items():
            typer.echo(f"{kind}: {path}")
    if not report.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``redline gate`` to the app."""
    app.command("gate")(gate)
