"""`redline report RUN_ID`: summarise a stored run and re-render its HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    JsonOption,
    MaxTranscriptsOption,
    RunsDirOption,
)


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on (see `redline runs list`).")],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
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
    max_transcripts: MaxTranscriptsOption = None,
    as_json: JsonOption = False,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration",
            help="A calibration file (redline judge calibrate): also report the attack "
            "success rate corrected for judge error.",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Human labels on a sample of this run (redline judge sample, then label): "
            "also report every rate's PPI++ estimate next to the raw one.",
        ),
    ] = None,
) -> None:
    """Print a run's summary and write its self-contained HTML report."""
    from redline.analysis import summarize_run
    from redline.report import print_summary, render_html
    from redline.report.transcript_limit import EMBEDDED_TRANSCRIPTS
    from redline.store import RunStore

    handle = RunStore(runs_dir).open(run_id)
    info = handle.info
    attempts = handle.read_attempts()
    scores = handle.read_scores()
    summary = summarize_run(
        info, attempts, scores, scorer=scorer or info.config.get("headline_scorer"), reducer=reducer
    )
    err = Console(stderr=True)
    if calibration is not None:
        from redline.scoring.calibration import Calibration, apply_calibration, transfer_warning

        loaded = Calibration.load(calibration)
        warning = transfer_warning(loaded, summary.targets)
        if warning is not None:
            err.print(f"[yellow]{warning}[/yellow]")
        summary = apply_calibration(summary, loaded)
    estimates = None
    if labels is not None:
        # Lazy import, as above: the CLI loads only what a command uses.
        from redline.analysis.labelled_estimates import labelled_rates, read_human_labels

        # The same scorer the summary is decided by (the headline scorer by default).
        estimates = labelled_rates(
            attempts, scores, read_human_labels(labels), scorer=summary.scorer
        )
        for warning in estimates.warnings:
            err.print(f"[yellow]warning: {warning}[/yellow]")
    path = render_html(
        info=info,
        summary=summary,
        attempts=attempts,
        scores=scores,
        path=output if output is not None else Path(handle.path) / "report.html",
        images=handle.images,
        max_transcripts=EMBEDDED_TRANSCRIPTS if max_transcripts is None else max_transcripts,
    )
    if as_json:
        document = {
            "run_id": info.id,
            "report": str(path),
            "summary": summary.model_dump(mode="json"),
        }
        if estimates is not None:
            document["labelled"] = estimates.as_dict()
        typer.echo(json.dumps(document))
        return
    print_summary(summary, Console())
    if summary.judge_correction is not None:
        from redline.scoring.calibration import correction_line

        typer.echo(correction_line(summary.judge_correction))
    if estimates is not None:
        from redline.report.labelled_table import print_labelled_estimates

        print_labelled_estimates(estimates, Console())
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Add ``redline report`` to the app."""
    app.command("report")(report)
