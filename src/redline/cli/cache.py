"""`redline cache`: what the response cache holds, and clearing it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
RunsDirOption = Annotated[
    Path | None,
    typer.Option("--runs-dir", envvar="REDLINE_RUNS_DIR", help="Where runs are stored."),
]


def _cache_path(runs_dir: Path | None) -> Path:
    # Lazy imports keep `redline --help` fast.
    from redline.run import response_cache_path
    from redline.store import default_runs_dir

    return response_cache_path(runs_dir or default_runs_dir())


def stats(runs_dir: RunsDirOption = None, as_json: JsonOption = False) -> None:
    """How many answers the response cache holds and its size on disk."""
    from redline.engine import ResponseCache

    with ResponseCache(_cache_path(runs_dir)) as cache:
        result = cache.stats()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json")))
        return
    typer.echo(f"{result.entries} cached answers, {result.bytes / 1e6:.1f} MB: {result.path}")


def clear(runs_dir: RunsDirOption = None, as_json: JsonOption = False) -> None:
    """Forget every cached answer, so the next run asks the targets again."""
    from redline.engine import ResponseCache

    path = _cache_path(runs_dir)
    with ResponseCache(path) as cache:
        removed = cache.clear()
    if as_json:
        typer.echo(json.dumps({"path": str(path), "removed": removed}))
        return
    typer.echo(f"removed {removed} cached answers from {path}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The response cache runs share (per runs directory): stats, clear.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="cache")
    group.command("stats")(stats)
    group.command("clear")(clear)
