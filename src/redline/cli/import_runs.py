"""`redline import garak|promptfoo|inspect FILE`: other tools' results as redline runs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Annotated

import typer

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption

FileArgument = Annotated[Path, typer.Argument(help="The tool's output file.", show_default=False)]
NameOption = Annotated[
    str | None, typer.Option("--name", help="A name for the imported run (shown in listings).")
]


def _import(
    tool: str,
    path: Path,
    *,
    runs_dir: Path,
    name: str | None,
    as_json: bool,
    success_value: str | None = None,
) -> None:
    # Lazy imports keep `redline --help` fast.
    from rich.console import Console
    from rich.progress import Progress

    from redline.importers import import_run
    from redline.store import RunStore

    err = Console(stderr=True)
    # .eval logs report progress per sample; everything else per byte read.
    total: float | None = path.stat().st_size if path.is_file() else None
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            total = sum(n.startswith("samples/") for n in archive.namelist())
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"reading {path.name}", total=total)
        result = import_run(
            tool,
            path,
            store=RunStore(runs_dir),
            name=name,
            success_value=success_value,
            progress=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        payload = {
            "run_id": result.run_id,
            "path": str(result.path),
            "attempts": result.attempts,
            "scores": result.scores,
            "errors": result.errors,
            "scorers": list(result.scorers),
            "tool": result.tool,
            "tool_version": result.tool_version,
        }
        typer.echo(json.dumps(payload))
        return
    version = f" {result.tool_version}" if result.tool_version else ""
    typer.echo(
        f"imported {result.attempts} attempts ({result.errors} errors) and {result.scores} "
        f"verdicts from {result.tool}{version} as run {result.run_id}"
    )
    typer.echo(f"  scorers: {', '.join(result.scorers) or '(none)'}")
    typer.echo(
        f"  next: redline report {result.run_id}; add redline's verdicts with "
        f"redline runs rescore {result.run_id} --scorer refusal --scorer harm"
    )


def garak(
    path: FileArgument,
    name: NameOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Import a garak report (*.report.jsonl).

    Each probe output becomes an attempt, each detector a scorer (a hit is unsafe).
    """
    _import("garak", path, runs_dir=runs_dir, name=name, as_json=as_json)


def promptfoo(
    path: FileArgument,
    name: NameOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Import promptfoo results (promptfoo eval --output results.json).

    Each result becomes an attempt; the result and each assertion type a scorer
    (failed is unsafe).
    """
    _import("promptfoo", path, runs_dir=runs_dir, name=name, as_json=as_json)


def inspect(
    path: FileArgument,
    success_value: Annotated[
        str | None,
        typer.Option(
            "--success-value",
            help="The raw score value that means the attack succeeded (e.g. C or I); "
            "with it the Inspect scores become unsafe/safe verdicts.",
        ),
    ] = None,
    name: NameOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Import an Inspect log (.eval or .json).

    Each sample becomes an attempt, each Inspect scorer a redline scorer.
    """
    _import(
        "inspect",
        path,
        runs_dir=runs_dir,
        name=name,
        as_json=as_json,
        success_value=success_value,
    )


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Bring results from garak, promptfoo or Inspect in as redline runs.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="import")
    group.command("garak")(garak)
    group.command("promptfoo")(promptfoo)
    group.command("inspect")(inspect)
