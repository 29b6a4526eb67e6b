"""`redline report RUN_ID`: summarise a stored run and re-render its HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on (see `redline runs list`).")],
    runs_dir: Annotated[
        Path | None,
        typer.Option(help="Where runs are stored [default: $REDLINE_RUNS_DIR or ./runs]."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML file to write [default: <run dir>/report.html]."),
    ] = None,
    scorer: Annotated[
        str | None,
        typer.Option(
            "--headline-scorer",
            "--scorer",
            help="The scorer whose labels decide every attempt [default: each attack "
            "family's own scorer (injection: canary), else the run's first scorer].",
        ),
    ] = None,
    reducer: Annotated[
        str | None,
        typer.Option(help="Also rate per behaviour, epochs reduced: mean, any, all, majority."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON document.")
    ] = False,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration",
            help="A calibration file (redline judge calibrate): also report the attack "
            "success rate corrected for judge error.",
        ),
    ] = None,
) -> None:
    """Print a run's summary and write its self-contained HTML report."""
    from redline.analysis import summarize_run
    from redline.report import print_summary, render_html
    from redline.store import RunStore

    handle = RunStore(runs_dir).open(run_id)
    info = handle.info
    attempts = handle.read_attempts()
    scores = handle.read_scores()
    summary = summarize_run(
        info, attempts, scores, scorer=scorer or info.config.get("headline_scorer"), reducer=reducer
    )
    if calibration is not None:
        from redline.scoring.calibration import Calibration, apply_calibration

        summary = apply_calibration(summary, Calibration.load(calibration))
    path = render_html(
        info=info,
        summary=summary,
        attempts=attempts,
        scores=scores,
        path=output if output is not None else Path(handle.path) / "report.html",
    )
    if as_json:
        document = {
            "run_id": info.id,
            "report": str(path),
            "summary": summary.model_dump(mode="json"),
        }
        typer.echo(json.dumps(document))
        return
    print_summary(summary, Console())
    if summary.judge_correction is not None:
        from redline.scoring.calibration import correction_line

        typer.echo(correction_line(summary.judge_correction))
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Add ``redline report`` to the app."""
    app.command("report")(report)
