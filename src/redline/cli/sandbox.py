"""`redline sandbox`: run a file in the OS sandbox agents' code runs in, or check it works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from redline.cli.options import JsonOption
from redline.core.errors import ConfigError

# Languages guessed from the file's suffix when --language is not given.
_SUFFIX_LANGUAGES = {".py": "python", ".sh": "sh", ".bash": "bash"}


def run(
    file: Annotated[Path, typer.Argument(help="The code to run (.py, .sh or .bash; or -l).")],
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="python, sh or bash (default: suffix).")
    ] = None,
    wall_seconds: Annotated[
        float, typer.Option("--wall-seconds", min=0.1, help="Wall-clock limit.")
    ] = 10.0,
    cpu_seconds: Annotated[int, typer.Option("--cpu-seconds", min=1, help="CPU-time limit.")] = 5,
    memory_mb: Annotated[
        int, typer.Option("--memory-mb", min=16, help="Address-space limit, MiB.")
    ] = 512,
    max_processes: Annotated[
        int, typer.Option("--max-processes", min=3, help="Tasks in the sandbox (2 are its own).")
    ] = 32,
    max_output_bytes: Annotated[
        int, typer.Option("--max-output-bytes", min=1, help="Cap on stdout and on stderr each.")
    ] = 1024 * 1024,
    read_only: Annotated[
        list[Path] | None,
        typer.Option("--read-only", help="A host path to expose read-only (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run FILE in the sandbox: no network, read-only root, /scratch writable, limits.

    Prints what the code printed and how it ended. Exit code 0 when the code
    exited 0 within its limits, 1 when it failed or a limit stopped it, 2 for bad
    input, 3 when the sandbox cannot run here.
    """
    # lazy: CLI start-up (config_files loads yaml and pydantic)
    from redline.core.config_files import read_text_file
    from redline.sandbox import SandboxLimits, run_in_sandbox

    code = read_text_file(file)
    chosen = language or _SUFFIX_LANGUAGES.get(file.suffix)
    if chosen is None:
        raise ConfigError(f"{file}: cannot tell the language from the suffix; pass --language")
    limits = SandboxLimits(
        wall_seconds=wall_seconds,
        cpu_seconds=cpu_seconds,
        memory_bytes=memory_mb * 1024 * 1024,
        max_processes=max_processes,
        max_output_bytes=max_output_bytes,
    )
    result = run_in_sandbox(
        code, language=chosen, limits=limits, read_only_paths=list(read_only or [])
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        typer.echo(result.stdout, nl=False)
        typer.echo(result.stderr, nl=False, err=True)
        ending = f"exit code {result.exit_code}"
        if result.killed_by:
            ending += f", killed by {result.killed_by}"
        if result.limit:
            ending += f", limit: {result.limit}"
        typer.secho(
            f"sandbox: {ending} ({result.wall_seconds:.2f} s)",
            err=True,
            fg="green" if result.ok else "red",
        )
    if not result.ok:
        raise typer.Exit(1)


def check(as_json: JsonOption = False) -> None:
    """Say whether the sandbox works here (bubblewrap installed and allowed)."""
    from redline.sandbox import sandbox_unavailable_reason  # lazy: CLI start-up

    reason = sandbox_unavailable_reason()
    if as_json:
        typer.echo(json.dumps({"available": reason is None, "reason": reason}))
    elif reason is None:
        typer.secho("sandbox: available (bubblewrap works here)", fg="green")
    else:
        typer.secho(f"sandbox: unavailable: {reason}", fg="red", err=True)
    if reason is not None:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The OS sandbox (bubblewrap) agents' code runs in: run a file, check it works.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="sandbox")
    group.command("run")(run)
    group.command("check")(check)
