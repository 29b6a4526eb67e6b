"""`redline ui`: serve the local web dashboard over a runs directory."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, NoProgressOption, RunsDirOption
from redline.core import ConfigError

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "redline" / "ui"


def ui(
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8777,
    host: Annotated[
        str,
        typer.Option(help="Interface to listen on; other than loopback needs --auth-token-env."),
    ] = "127.0.0.1",
    auth_token_env: Annotated[
        str | None,
        typer.Option(
            "--auth-token-env",
            help="Environment variable holding the token every request must carry "
            "(Bearer header, or open /?token=... once in a browser).",
        ),
    ] = None,
    allow_writes: Annotated[
        bool,
        typer.Option(
            "--allow-writes", help="Allow deleting and renaming runs, and annotation labels."
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Where run indexes are kept (default: under $XDG_CACHE_HOME/redline/ui).",
        ),
    ] = None,
    guard_file: Annotated[
        list[Path] | None,
        typer.Option("--guard-file", help="A `redline guard scan` output to explore (repeat)."),
    ] = None,
    index_only: Annotated[
        bool, typer.Option("--index-only", help="Build the run indexes, print them, and exit.")
    ] = False,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Serve a local web dashboard: runs, transcripts, comparisons, guard verdicts,
    regression history and annotation. Read-only by default."""
    # Lazy imports: `redline --help` does not pay for FastAPI, DuckDB or the analysis stack.
    from rich.progress import BarColumn, Progress, TextColumn

    from redline.core import content_hash
    from redline.ui import UiSettings, create_app
    from redline.ui.catalog import RunCatalog
    from redline.ui.run_index import IndexCache

    token = None
    if auth_token_env is not None:
        token = os.environ.get(auth_token_env)
        if not token:
            raise ConfigError(f"--auth-token-env: environment variable {auth_token_env} is not set")
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"--host {host} is reachable from other machines: give --auth-token-env NAME "
            "(a variable holding a token clients must send)"
        )
    for path in guard_file or []:
        if not path.is_file():
            raise ConfigError(f"--guard-file {path}: no such file")
    runs_dir = runs_dir.resolve()
    cache = cache_dir or default_cache_dir() / content_hash(str(runs_dir), length=12)
    err = Console(stderr=True)
    # Index every run up front (with progress) so the first page view is fast.
    catalog = RunCatalog(runs_dir, IndexCache(cache))
    folders = catalog.directories()
    listed = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err,
        transient=True,
        disable=no_progress,
    ) as progress:
        task = progress.add_task("indexing runs", total=len(folders))
        for folder in folders:
            entry = catalog.entry(folder)
            listed.append({"run_id": entry.id, "problem": entry.problem})
            progress.advance(task)
    catalog.indexes.close()
    problems = [r for r in listed if r["problem"]]
    if index_only:
        if as_json:
            typer.echo(json.dumps({"runs_dir": str(runs_dir), "cache_dir": str(cache),
                                   "runs": len(listed), "problems": problems}))  # fmt: skip
        else:
            err.print(f"{len(listed)} runs indexed in {cache}")
            for row in problems:
                err.print(f"[red]{row['run_id']}[/red]: {row['problem']}", highlight=False)
        return
    import uvicorn

    app = create_app(
        UiSettings(
            runs_dir=runs_dir,
            cache_dir=cache,
            allow_writes=allow_writes,
            auth_token=token,
            guard_files=list(guard_file or []),
        )
    )
    shown = f"[{host}]" if ":" in host else host
    err.print(
        f"redline ui on http://{shown}:{port} ({len(listed)} runs, "
        f"{'writes allowed' if allow_writes else 'read-only'}); Ctrl-C to stop",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the ``ui`` command."""
    app.command("ui")(ui)
