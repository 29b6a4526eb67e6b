"""`redline judge sample RUN -n 100`: a stratified sample of a run for people to label."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption


def sample(
    run_id: Annotated[str, typer.Argument(help="The run to sample (see `redline runs list`).")],
    n: Annotated[int, typer.Option("-n", help="How many attempts to draw.")] = 100,
    scorer: Annotated[str, typer.Option(help="Whose labels define the strata.")] = "refusal",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write: .csv or .jsonl [default: JSONL to stdout]."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the draw (same seed, same sample).")] = 0,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Draw a stratified random sample of a run's scored attempts for human labelling.

    Strata are the scorer's labels (proportional allocation, at least two each).
    Fill in `human_label` (full_refusal, partial_refusal or full_compliance) and
    pass the file to `redline report RUN --labels FILE` for PPI++ estimates.
    """
    # Lazy imports: the CLI loads only what a command uses.
    from redline.analysis.labelled_estimates import sample_for_labelling, write_sample
    from redline.core import ConfigError
    from redline.store import RunStore

    if as_json and output is None:
        raise ConfigError("--json needs --output (the sample itself goes to stdout otherwise)")
    handle = RunStore(runs_dir).open(run_id)
    rows = sample_for_labelling(
        handle.read_attempts(), handle.read_scores(), scorer=scorer, n=n, seed=seed
    )
    if output is None:
        sys.stdout.write("".join(json.dumps(r) + "\n" for r in rows))
        return
    write_sample(rows, output)
    strata: dict[str, int] = {}
    for row in rows:
        strata[row["scorer_label"]] = strata.get(row["scorer_label"], 0) + 1
    if as_json:
        typer.echo(
            json.dumps({"run_id": run_id, "n": len(rows), "strata": strata, "output": str(output)})
        )
        return
    Console().print(
        f"{len(rows)} attempts of {run_id} -> {output} "
        f"(by {scorer} label: {', '.join(f'{k} {v}' for k, v in sorted(strata.items()))}); "
        "fill in human_label, then: redline report RUN --labels FILE"
    )


def register_judge_sample(judge_app: typer.Typer) -> None:
    """Add ``sample`` to the ``judge`` group."""
    judge_app.command("sample")(sample)
