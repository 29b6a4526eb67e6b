"""`redline cai run`: a Constitutional-AI loop (critique, revise, AI feedback) over prompts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    APIKeyEnvOption,
    BaseURLOption,
    ConcurrencyOption,
    JsonOption,
    MaxNewTokensOption,
    ModelOption,
    ModelPathOption,
    NoProgressOption,
    RunsDirOption,
    SystemPromptOption,
    TargetOption,
    TemperatureOption,
)
from redline.core import ConfigError

if TYPE_CHECKING:
    from redline.alignment.cai import CaiResult
    from redline.stats import Interval

EXIT_INTERRUPTED = 130


def run(
    prompts: Annotated[
        list[Path] | None,
        typer.Option("--prompts", "-p", help="Prompts file (.jsonl/.csv/.txt); repeatable."),
    ] = None,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", help="A built-in suite; repeatable.")
    ] = None,
    constitution: Annotated[
        Path | None,
        typer.Option("--constitution", help="Constitution YAML (default: redline's own)."),
    ] = None,
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=10, help="Critique rounds.")] = 1,
    target: TargetOption = None,
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    system_prompt: SystemPromptOption = None,
    feedback: Annotated[
        str | None,
        typer.Option("--feedback", help="Model that labels preferences (default: the target)."),
    ] = None,
    feedback_base_url: Annotated[
        str | None, typer.Option("--feedback-base-url", help="API base URL of --feedback.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Prompts to use (stratified sample).")
    ] = None,
    critique_retries: Annotated[
        int, typer.Option("--critique-retries", min=0, max=10, help="Tries after a bad critique.")
    ] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Seed for principles and sampling.")] = 0,
    max_new_tokens: MaxNewTokensOption = None,
    temperature: TemperatureOption = None,
    concurrency: ConcurrencyOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Resend cached requests.")] = False,
    new_run: Annotated[bool, typer.Option("--new-run", help="Start afresh, not resume.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where sl.jsonl, prefs.jsonl, summary.json go (<run>/cai)."),
    ] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Sample answers, critique each against a sampled principle, revise, for N rounds;
    then let the feedback model pick the better of original and revision.

    Writes SL-CAI data (sl.jsonl), preference pairs (prefs.jsonl, TRL's
    prompt/chosen/rejected) and summary.json (harm, refusal and helpfulness by
    round, with intervals). Re-running the same command resumes its run.
    """
    # Imported here so `redline --help` stays fast (the run loop loads numpy, aiohttp...).
    from redline.alignment.cai import run_cai
    from redline.alignment.cai_config import CaiConfig
    from redline.alignment.constitution import load_constitution
    from redline.cli.scan import option_errors
    from redline.store import RunStore
    from redline.targets import TargetSpec

    spec = TargetSpec.parse(
        target,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        model_path=model_path,
        system_prompt=system_prompt,
    )
    feedback_spec = (
        TargetSpec.parse(feedback, base_url=feedback_base_url) if feedback is not None else None
    )
    settings = {
        "constitution": load_constitution(constitution),
        "target": spec,
        "feedback": feedback_spec,
        "prompts": prompts or [],
        "suites": suite or [],
        "limit": limit,
        "rounds": rounds,
        "critique_retries": critique_retries,
        "seed": seed,
        "max_tokens": max_new_tokens,
        "temperature": temperature,
        "concurrency": concurrency,
        "cache": not no_cache,
    }
    try:
        config = CaiConfig.model_validate({k: v for k, v in settings.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(option_errors(exc)) from None
    result = asyncio.run(
        run_cai(
            config,
            store=RunStore(runs_dir),
            new_run=new_run,
            progress=not no_progress and not as_json,
            handle_sigint=True,
            out_dir=out,
        )
    )
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        _print(result)
    if result.status == "failed":
        typer.secho(
            f"error: no prompt got through; see {result.run_dir / 'attempts.jsonl'}",
            err=True,
            fg="red",
        )
        raise typer.Exit(3)
    if result.status == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED if result.engine.interrupted else 3)


def _print(result: CaiResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = result.summary
    if summary is not None:
        table = Table(title=f"Constitutional AI: {summary.prompts} prompts")
        for column in ("round", "harmful: refused", "harmful: flagged", "benign: answered"):
            table.add_column(column)
        for figures in summary.rounds:
            table.add_row(
                str(figures.round),
                _rate(figures.refused),
                _rate(figures.harmful_content_on_harmful),
                _rate(figures.answered_benign),
            )
        console.print(table)
        console.print(
            "unparseable critiques by round: "
            + json.dumps(summary.per_round.get("unparseable_critiques", []))
            + f"; preference pairs: {summary.counts.get('preference_pairs', 0)}"
        )
        console.print(f"SL data: {result.sl_path}\npreferences: {result.prefs_path}")
    console.print(f"status: {result.status}; run dir: {result.run_dir}")
    typer.echo(result.run_id)


def _rate(interval: Interval) -> str:
    if interval.estimate is None:
        return "-"
    return f"{interval.estimate:.0%} [{interval.low:.0%}, {interval.high:.0%}]"


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Constitutional AI: critique, revise, AI feedback.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="cai")
    group.command("run")(run)
