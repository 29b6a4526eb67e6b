"""`redline targets list` and `redline targets check`."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import (
    TARGET_SYNTAX,
    APIKeyEnvOption,
    BaseURLOption,
    JsonOption,
    ModelOption,
    ModelPathOption,
    SystemPromptOption,
    TargetConfigOption,
)
from redline.core import GenerationParams
from redline.targets import TARGETS, Target, TargetSpec, build_target
from redline.targets.check import DEFAULT_CHECK_PROMPT, TargetCheck, check_targets


def target_kinds() -> dict[str, str]:
    """Each registered target kind with its one-line description."""
    return {
        name: getattr(TARGETS.get(name), "description", "plugin target") for name in TARGETS.names()
    }


def list_targets(json_output: JsonOption = False) -> None:
    """List the target kinds redline can talk to."""
    kinds = target_kinds()
    if json_output:
        typer.echo(json.dumps({"kinds": kinds}))
        return
    table = Table("kind", "what it is", box=None)
    for name, description in kinds.items():
        table.add_row(name, description)
    Console().print(table)


def _print_checks(results: list[TargetCheck]) -> None:
    table = Table("target", "ok", "latency", "reply or error", box=None)
    for result in results:
        if result.ok:
            outcome = repr(result.reply)
        else:
            assert result.error is not None
            outcome = f"[red]{result.error.kind}: {result.error.message}[/red]"
        table.add_row(
            result.target,
            "[green]yes[/green]" if result.ok else "[red]no[/red]",
            f"{result.latency_s:.2f}s",
            outcome,
        )
    Console().print(table)


async def _run_checks(
    targets: list[Target], *, prompt: str, params: GenerationParams
) -> list[TargetCheck]:
    try:
        return await check_targets(targets, prompt=prompt, params=params)
    finally:
        for target in targets:
            await target.aclose()


def check(
    targets: Annotated[
        list[str],
        typer.Argument(
            help=f"Targets to check: {TARGET_SYNTAX}; or a kind used with the options below.",
            show_default=False,
        ),
    ],
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    target_config: TargetConfigOption = None,
    system_prompt: SystemPromptOption = None,
    prompt: Annotated[str, typer.Option("--prompt", help="What to send.")] = DEFAULT_CHECK_PROMPT,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1)] = 16,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.001, help="Seconds per request.")
    ] = 30.0,
    json_output: JsonOption = False,
) -> None:
    """Send one request to each target; print latency and reply (exit 3 if any failed)."""
    # Build every target first so a config mistake stops before any request.
    built = [
        build_target(
            TargetSpec.parse(
                name,
                model=model,
                base_url=base_url,
                api_key_env=api_key_env,
                model_path=model_path,
                config_file=target_config,
                system_prompt=system_prompt,
            ),
            timeout=timeout,
        )
        for name in targets
    ]
    params = GenerationParams(max_tokens=max_tokens)
    results = asyncio.run(_run_checks(built, prompt=prompt, params=params))
    all_ok = all(r.ok for r in results)
    if json_output:
        document = {"ok": all_ok, "targets": [r.model_dump(mode="json") for r in results]}
        typer.echo(json.dumps(document))
    else:
        _print_checks(results)
    if not all_ok:
        raise typer.Exit(code=3)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The models and apps redline can test: list kinds, check they answer.",
        no_args_is_help=True,
    )
    group.command("list")(list_targets)
    group.command("check")(check)
    app.add_typer(group, name="targets")
