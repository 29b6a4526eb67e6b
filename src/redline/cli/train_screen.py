"""`redline train monitor-screen`: distil the full guard into the monitor's screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from redline.cli.options import JsonOption
from redline.core.errors import ConfigError

DEFAULT_DATA_DIR = Path("../shared/data")


class _Bar:
    """Distillation's progress on a rich bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("loading the public sets", total=None)

    def total(self, units: int) -> None:
        self.progress.update(self.task, total=units)

    def advance(self, message: str, units: int) -> None:
        self.progress.update(self.task, description=message, advance=units)


def monitor_screen(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Public data laid out like ../shared/data (default: ../shared/data). "
            "Required: the screen is distilled over these texts.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Artifact directory (default: the package's monitor-screen/)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for sampling and fitting.")] = 0,
    per_source: Annotated[
        int, typer.Option("--per-source", min=1, help="Texts drawn from each public set at most.")
    ] = 4000,
    as_json: JsonOption = False,
) -> None:
    """Distil the full guard into the monitor screen (`monitor ingest --scoring screen`):
    label public texts with the guard on both sides, fit one linear head per label
    over hashed byte n-grams, write the artifact and its data card (minutes, one core)."""
    # Imported here so `redline --help` does not pay for the guard and scikit-learn.
    from redline.classifiers.monitor_screen import screen_dir
    from redline.guard.screen_distillation import (
        DEFAULT_PER_SOURCE,
        DistillSettings,
        distil_monitor_screen,
    )

    source = data_dir if data_dir is not None else DEFAULT_DATA_DIR
    if not source.is_dir():
        raise ConfigError(
            f"--data-dir {source}: no such directory; the screen is distilled over the public "
            "sets (../shared/data, see its MANIFEST.md): give --data-dir"
        )
    target = out if out is not None else screen_dir()
    parts = ["redline train monitor-screen"]
    parts += [f"--data-dir {data_dir}"] if data_dir is not None else []
    parts += [f"--seed {seed}"] if seed else []
    parts += [f"--per-source {per_source}"] if per_source != DEFAULT_PER_SOURCE else []
    settings = DistillSettings(
        data_dir=source, out=target, seed=seed, per_source=per_source, command=" ".join(parts)
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=as_json,
    ) as progress:
        summary = distil_monitor_screen(settings, progress=_Bar(progress))
    summary["out"] = str(target)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    _print(summary)


def _print(summary: dict[str, Any]) -> None:
    typer.echo(
        f"monitor screen -> {summary['out']}: {summary['texts']:,} texts, "
        f"{summary['windows']:,} windows, {summary['artifact_bytes']:,} bytes"
    )
    for table, labels in summary["dev_agreement"].items():
        for label, figures in labels.items():
            if "skipped" in figures:
                typer.echo(f"  {table} {label}: no head ({figures['skipped']})")
                continue
            typer.echo(
                f"  {table} {label}: recall {figures['recall']} precision "
                f"{figures['precision']} against the guard (dev, "
                f"{figures['guard_positives']} guard positives)"
            )
