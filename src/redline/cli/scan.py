"""`redline scan`: run a red-team campaign against a target."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.attacks.compose import build_chains, parse_attack_option
from redline.cli.target_options import target_spec_from_options
from redline.core import ConfigError
from redline.report import print_summary
from redline.run import Campaign, dry_run, load_campaign, run_campaign, stored_campaign
from redline.store import RunStore, default_runs_dir

EXIT_INTERRUPTED = 130


def _runs_dir_option() -> Any:
    return typer.Option(
        "--runs-dir",
        envvar="REDLINE_RUNS_DIR",
        help="Where runs are stored (default ./runs, or $REDLINE_RUNS_DIR).",
    )


def _target_overrides(
    *,
    target: str | None,
    model: str | None,
    base_url: str | None,
    api_key_env: str | None,
    model_path: Path | None,
    target_config: Path | None,
    system_prompt: str | None,
) -> dict[str, Any] | None:
    given = {
        "kind": target,
        "model": model,
        "base_url": base_url,
        "api_key_env": api_key_env,
        "model_path": model_path,
        "config_file": target_config,
        "system_prompt": system_prompt,
    }
    given = {key: value for key, value in given.items() if value is not None}
    return given or None


def scan(
    campaign_file: Annotated[
        Path | None, typer.Argument(help="Campaign YAML; flags override its settings.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="local (bundled model), openai, anthropic, http, or python:module:function.",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name for openai/anthropic.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the API key.")
    ] = None,
    model_path: Annotated[Path | None, typer.Option(help="A GGUF file for --target local.")] = None,
    target_config: Annotated[
        Path | None, typer.Option(help="YAML config of an --target http endpoint.")
    ] = None,
    system_prompt: Annotated[str | None, typer.Option(help="System prompt sent first.")] = None,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", "-s", help="Built-in suite (repeatable).")
    ] = None,
    prompts: Annotated[
        list[Path] | None,
        typer.Option("--prompts", "-p", help="Prompts file: JSONL, CSV or TXT (repeatable)."),
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Samples per prompt.")] = None,
    limit: Annotated[int | None, typer.Option(help="Send at most this many prompts.")] = None,
    seed: Annotated[int | None, typer.Option(help="Base seed (epoch k uses seed + k).")] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option(help="Longest response to ask for, in tokens.")
    ] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    scorer: Annotated[
        list[str] | None, typer.Option("--scorer", help="Scorer to apply (repeatable).")
    ] = None,
    headline_scorer: Annotated[
        str | None,
        typer.Option(
            help="The scorer whose labels decide every attempt in the report [default: each "
            "attack family's own scorer (injection: canary), else the first --scorer]."
        ),
    ] = None,
    attacks: Annotated[
        str | None,
        typer.Option(
            "--attacks",
            "-a",
            help="Attack chains, comma-separated; '+' chains converters left to right "
            "(e.g. none,base64,roleplay.fiction+rot13). See `redline attacks list`.",
        ),
    ] = None,
    attacker: Annotated[
        str | None,
        typer.Option(
            "--attacker",
            help="Target that attacks use as their model (same syntax as --target; "
            "default: the bundled model).",
        ),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge", help="Target that multi-turn attacks use as judge (same syntax as --target)."
        ),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once.")] = None,
    rpm: Annotated[float | None, typer.Option("--rpm", help="Requests per minute limit.")] = None,
    tpm: Annotated[float | None, typer.Option("--tpm", help="Tokens per minute limit.")] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds before a request times out.")
    ] = None,
    max_retries: Annotated[int | None, typer.Option(help="Retries on 429/5xx/timeouts.")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse cached responses.")
    ] = False,
    max_requests: Annotated[int | None, typer.Option(help="Stop after this many requests.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Stop after this many tokens.")] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="Where requests are sent from: local (this process) or ray (worker actors "
            "on a Ray cluster; needs redline\\[ray]).",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Ray cluster to join (HOST:PORT, ray://HOST:PORT or auto); default: start a "
            "local one.",
        ),
    ] = None,
    ray_workers: Annotated[
        int | None,
        typer.Option(help="Ray worker actors (default: 2 locally, else the cluster's CPUs)."),
    ] = None,
    dry_run_flag: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the requests and tokens it would send; send none."),
    ] = False,
    resume: Annotated[str | None, typer.Option(help="Resume this run id.")] = None,
    new_run: Annotated[
        bool, typer.Option("--new-run", help="Start a new run even if this campaign ran before.")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the HTML report here.")] = None,
    runs_dir: Annotated[Path | None, _runs_dir_option()] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Run a red-team campaign and write a run directory and an HTML report.

    Re-running the same campaign resumes its latest run (skipping what is done);
    --new-run starts afresh. The last line printed is the run id.
    """
    store = RunStore(runs_dir or default_runs_dir())
    if attacks is not None:
        # Checked here so a bad chain reads as one line naming --attacks.
        build_chains(list(parse_attack_option(attacks)), where="--attacks")
    if resume is not None and campaign_file is not None:
        raise ConfigError("give either a campaign file or --resume RUN_ID, not both")
    if resume is not None:
        base = stored_campaign(store, resume)
    elif campaign_file is not None:
        base = load_campaign(campaign_file)
    else:
        base = Campaign()
    overrides: dict[str, Any] = {
        "target": _target_overrides(
            target=target,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            model_path=model_path,
            target_config=target_config,
            system_prompt=system_prompt,
        ),
        "suites": suite,
        "prompts": prompts,
        "epochs": epochs,
        "limit": limit,
        "seed": seed,
        "generation": {
            k: v
            for k, v in {"max_tokens": max_new_tokens, "temperature": temperature}.items()
            if v is not None
        }
        or None,
        "scorers": scorer,
        "headline_scorer": headline_scorer,
        "attacks": parse_attack_option(attacks) if attacks is not None else None,
        "attacker": target_spec_from_options(target=attacker).model_dump() if attacker else None,
        "judge": target_spec_from_options(target=judge).model_dump() if judge else None,
        "concurrency": concurrency,
        "requests_per_minute": rpm,
        "tokens_per_minute": tpm,
        "timeout": timeout,
        "max_retries": max_retries,
        "cache": False if no_cache else None,
        "max_requests": max_requests,
        "max_tokens": max_tokens,
        "report": report,
        "executor": executor,
        "ray_address": ray_address,
        "ray_workers": ray_workers,
    }
    try:
        campaign = base.with_overrides(overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid option: {exc}") from None
    if not campaign.suites and not campaign.prompts:
        campaign = campaign.model_copy(update={"suites": ["default"]})

    if dry_run_flag:
        estimate = dry_run(campaign)
        if json_output:
            typer.echo(json.dumps({"dry_run": True, **estimate.model_dump()}))
        else:
            typer.echo(
                f"would send {estimate.requests} requests, about {estimate.prompt_tokens} prompt "
                f"tokens and at most {estimate.max_completion_tokens} completion tokens "
                f"({estimate.total_tokens} tokens in all)"
            )
        return

    result = asyncio.run(
        run_campaign(
            campaign,
            store=store,
            resume=resume,
            new_run=new_run,
            progress=not no_progress and not json_output,
            handle_sigint=True,
        )
    )
    if json_output:
        document = {
            "run_id": result.run_id,
            "status": result.status,
            "run_dir": str(result.run_dir),
            "report": str(result.report_path),
            "skipped_done": result.skipped_done,
            "engine": result.engine.model_dump(mode="json"),
            "summary": result.summary.model_dump(mode="json"),
        }
        typer.echo(json.dumps(document))
    else:
        console = Console(width=max(100, Console().width))
        print_summary(result.summary, console)
        if result.skipped_done:
            console.print(f"resumed: {result.skipped_done} attempts were already done")
        console.print(f"report: {result.report_path}")
        console.print(f"run dir: {result.run_dir}")
        typer.echo(result.run_id)
    if result.attempts and result.errors == result.attempts:
        typer.secho(
            f"error: no attempt succeeded ({result.errors} errors); is the target reachable? "
            f"see {result.run_dir / 'attempts.jsonl'}",
            err=True,
            fg="red",
        )
        raise typer.Exit(3)
    if result.status == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED if result.engine.interrupted else 3)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
