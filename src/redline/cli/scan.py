"""`redline scan`: run a red-team campaign against a target."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from redline.cli import quick_exit
from redline.cli.collection_pace import fewer_collections
from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    APIKeyEnvOption,
    BaseURLOption,
    ConcurrencyOption,
    EpochsOption,
    ExecutorOption,
    JsonOption,
    MaxNewTokensOption,
    MaxTranscriptsOption,
    ModelOption,
    ModelPathOption,
    NoProgressOption,
    RayAddressOption,
    RayWorkersOption,
    RunsDirOption,
    SystemPromptOption,
    TargetConfigOption,
    TargetOption,
    TemperatureOption,
)

if TYPE_CHECKING:
    from pydantic import ValidationError

    from redline.run import Campaign
    from redline.targets import TargetSpec

EXIT_INTERRUPTED = 130
# Above this many seconds on the bundled model, say how long and suggest --limit first.
SLOW_LOCAL_SCAN_S = 120.0


def scan(
    campaign_file: Annotated[
        Path | None, typer.Argument(help="Campaign YAML; flags override its settings.")
    ] = None,
    target: TargetOption = None,
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    target_config: TargetConfigOption = None,
    system_prompt: SystemPromptOption = None,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", "-s", help="Built-in suite (repeatable).")
    ] = None,
    prompts: Annotated[
        list[Path] | None,
        typer.Option("--prompts", "-p", help="Prompts file: JSONL, CSV or TXT (repeatable)."),
    ] = None,
    epochs: EpochsOption = None,
    limit: Annotated[int | None, typer.Option(help="Send at most this many prompts.")] = None,
    seed: Annotated[int | None, typer.Option(help="Base seed (epoch k uses seed + k).")] = None,
    max_new_tokens: MaxNewTokensOption = None,
    temperature: TemperatureOption = None,
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
        list[str] | None,
        typer.Option(
            "--attacks",
            "-a",
            help="Attack chains, comma-separated; '+' chains converters left to right "
            "(e.g. none,base64,roleplay.fiction+rot13); repeatable, each adds its chains. "
            "See `redline attacks list`.",
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
    attacker_base_url: Annotated[
        str | None,
        typer.Option(
            "--attacker-base-url", help="API base URL for --attacker (never the target's)."
        ),
    ] = None,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="API base URL for --judge (never the target's)."),
    ] = None,
    concurrency: ConcurrencyOption = None,
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
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    ray_workers: RayWorkersOption = None,
    dry_run_flag: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the requests and tokens it would send; send none."),
    ] = False,
    resume: Annotated[str | None, typer.Option(help="Resume this run id.")] = None,
    new_run: Annotated[
        bool, typer.Option("--new-run", help="Start a new run even if this campaign ran before.")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the HTML report here.")] = None,
    max_transcripts: MaxTranscriptsOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    json_output: JsonOption = False,
    no_progress: NoProgressOption = False,
) -> None:
    """Run a red-team campaign and write a run directory and an HTML report.

    Re-running the same campaign resumes its latest run (skipping what is done);
    --new-run starts afresh. The last line printed is the run id.
    """
    # Imported here, not at the top: `redline scan --help` (and every other
    # command's start-up) should not pay for the runner, the attack library,
    # the analysis and their numpy/pydantic imports (issue 12, docs/cli.md).
    # The summary's printer and the failure description come after the run: a
    # scan sends before importing the analysis and the report (docs/scale.md).
    from pydantic import ValidationError

    from redline.attacks.compose import build_chains, parse_attack_option
    from redline.core import ConfigError
    from redline.run import Campaign, dry_run, load_campaign, run_campaign, stored_campaign
    from redline.run.target_choice import role_spec
    from redline.store import RunStore
    from redline.targets.spec import parse_target_fields

    store = RunStore(runs_dir)
    # Each --attacks adds its chains (a second one used to replace the first, silently).
    attack_chains = parse_attack_option(",".join(attacks)) if attacks else None
    if attack_chains is not None:
        # Checked here so a bad chain reads as one line naming --attacks.
        build_chains(list(attack_chains), where="--attacks")
    if resume is not None and campaign_file is not None:
        raise ConfigError("give either a campaign file or --resume RUN_ID, not both")
    if resume is not None:
        base = stored_campaign(store, resume)
    elif campaign_file is not None:
        base = load_campaign(campaign_file)
    else:
        base = Campaign()
    overrides: dict[str, Any] = {
        "target": parse_target_fields(
            target,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            model_path=model_path,
            config_file=target_config,
            system_prompt=system_prompt,
        )
        or None,
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
        "attacks": attack_chains,
        "attacker": _dumped(
            role_spec(base.attacker, target=attacker, base_url=attacker_base_url, role="attacker")
        ),
        "judge": _dumped(
            role_spec(base.judge, target=judge, base_url=judge_base_url, role="judge")
        ),
        "concurrency": concurrency,
        "requests_per_minute": rpm,
        "tokens_per_minute": tpm,
        "timeout": timeout,
        "max_retries": max_retries,
        "cache": False if no_cache else None,
        "max_requests": max_requests,
        "max_tokens": max_tokens,
        "report": report,
        "max_transcripts": max_transcripts,
        "executor": executor,
        "ray_address": ray_address,
        "ray_workers": ray_workers,
    }
    try:
        campaign = base.with_overrides(overrides)
    except ValidationError as exc:
        raise ConfigError(option_errors(exc)) from None
    if not campaign.suites and not campaign.prompts:
        campaign = campaign.model_copy(update={"suites": ["default"]})

    if dry_run_flag:
        estimate = dry_run(campaign)
        if json_output:
            typer.echo(json.dumps({"dry_run": True, **estimate.model_dump()}))
        else:
            helpers = ""
            if estimate.attacker_requests or estimate.judge_requests:
                helpers = (
                    f", plus at most {estimate.attacker_requests} attacker and "
                    f"{estimate.judge_requests} judge calls"
                )
            typer.echo(
                f"would send {estimate.requests} requests, about {estimate.prompt_tokens} prompt "
                f"tokens and at most {estimate.max_completion_tokens} completion tokens "
                f"({estimate.total_tokens} tokens in all){helpers}"
            )
        return

    if campaign.target.kind == "local" and not json_output:
        _warn_if_slow_on_bundled_model(campaign)
    # Everything the scan opens is closed by the time it returns: the process may end
    # without the interpreter's teardown (see quick_exit).
    quick_exit.request()
    with fewer_collections():
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
            "warnings": result.warnings,
            "engine": result.engine.model_dump(mode="json"),
            "summary": result.summary.model_dump(mode="json"),
        }
        typer.echo(json.dumps(document))
    else:
        from rich.console import Console

        from redline.report import print_summary

        console = Console(width=max(100, Console().width))
        print_summary(result.summary, console)
        if result.skipped_done:
            console.print(f"resumed: {result.skipped_done} attempts were already done")
        console.print(f"report: {result.report_path}")
        console.print(f"run dir: {result.run_dir}")
        typer.echo(result.run_id)
    if result.attempts and result.errors == result.attempts:
        from redline.analysis.failures import describe_failed_run  # after the run (above)

        attempts = store.open(result.run_id).read_attempts()
        typer.secho(f"error: {describe_failed_run(attempts)}", err=True, fg="red")
        typer.secho(f"see {result.run_dir / 'attempts.jsonl'}", err=True)
        if result.status != "interrupted":
            raise typer.Exit(3)
    if result.status == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED if result.engine.interrupted else 3)


# Campaign fields and the flag that sets each, so a bad value names the flag.
_FLAGS = {
    "epochs": "--epochs",
    "limit": "--limit",
    "generation.max_tokens": "--max-new-tokens",
    "generation.temperature": "--temperature",
    "concurrency": "--concurrency",
    "requests_per_minute": "--rpm",
    "tokens_per_minute": "--tpm",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "max_requests": "--max-requests",
    "max_tokens": "--max-tokens",
}


def option_errors(exc: ValidationError) -> str:
    """One line per invalid setting, naming the flag (no pydantic URLs)."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        name = _FLAGS.get(field, field)
        problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "invalid option: " + "; ".join(problems)


def _warn_if_slow_on_bundled_model(campaign: Campaign) -> None:
    """The bundled model runs on the CPU: say how long a scan may take before starting."""
    from redline.run import dry_run
    from redline.targets.local_llama import bundled_model_seconds

    planned = dry_run(campaign, check_models=False)
    seconds = bundled_model_seconds(planned.max_completion_tokens)
    message = (
        f"{planned.requests} requests to the bundled model on this CPU: up to about "
        f"{seconds / 60:.0f} min ({planned.max_completion_tokens} completion tokens at most)"
    )
    if seconds > SLOW_LOCAL_SCAN_S and campaign.limit is None:
        message += "; for a quick look add --limit 20 (or --dry-run to see the plan)"
    typer.echo(message, err=True)


def _dumped(spec: TargetSpec | None) -> dict[str, Any] | None:
    return spec.model_dump() if spec is not None else None


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
