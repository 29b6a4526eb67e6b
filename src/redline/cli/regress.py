"""`redline regress`: abuse reports to regression suites, shrinking and replaying them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    APIKeyEnvOption,
    BaseURLOption,
    ConcurrencyOption,
    EpochsOption,
    JsonOption,
    MaxNewTokensOption,
    ModelOption,
    ModelPathOption,
    NoProgressOption,
    RunsDirOption,
    SystemPromptOption,
    TargetConfigOption,
    TargetOption,
    TemperatureOption,
)
from redline.core import ConfigError, GenerationParams
from redline.store import RunStore
from redline.targets import TargetSpec


def _err() -> Console:
    return Console(stderr=True)


def ingest(
    reports: Annotated[Path, typer.Argument(help="Abuse reports: JSONL or CSV.")],
    field_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN: read a report field from another column."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Suite file to write (merged if it exists)."),
    ] = None,
    policies: Annotated[
        Path | None, typer.Option("--policies", help="YAML file of extra policy names.")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="File encoding; auto detects BOMs and non-UTF-8 bytes.")
    ] = "auto",
    threshold: Annotated[
        float, typer.Option(help="Near-duplicate threshold: estimated 5-gram Jaccard.")
    ] = 0.5,
    max_chars: Annotated[int, typer.Option(help="Reject larger conversations.")] = 100_000,
    max_turns: Annotated[int, typer.Option(help="Reject conversations with more messages.")] = 100,
    name: Annotated[str | None, typer.Option(help="Suite name (default: the file's).")] = None,
    refusal_scorer: Annotated[
        str, typer.Option(help="Scorer for refuse and safe-complete cases.")
    ] = "refusal",
    strict: Annotated[
        bool, typer.Option("--strict", help="Write nothing and exit 2 if any record is bad.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Turn abuse reports into a regression suite: validate, redact PII and secrets,
    cluster near-duplicates, one case per cluster and policy.

    Bad records are listed with their line (stderr, or in --json) and left out.
    """
    from redline.regress import (
        DedupSettings,
        PolicyBook,
        ReportLimits,
        ingest_reports,
        parse_field_map,
        save_regression_suite,
    )

    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"--threshold must be in (0, 1], got {threshold}")
    book = PolicyBook.default()
    if policies is not None:
        book = book.with_file(policies)
    result = ingest_reports(
        reports,
        field_map=parse_field_map(field_map),
        policies=book,
        limits=ReportLimits(max_chars=max_chars, max_turns=max_turns),
        encoding=encoding,
        dedup=DedupSettings(threshold=threshold),
        name=name or (output.stem if output else None),
        previous=output,
        refusal_scorer=refusal_scorer,
    )
    batch = result.batch
    problems = [p.describe(batch.source) for p in batch.problems]
    if strict and problems:
        for line in problems:
            typer.echo(f"bad record: {line}", err=True)
        raise ConfigError(f"{len(problems)} bad record(s) in {reports}; nothing written (--strict)")
    if output is not None:
        save_regression_suite(result.suite, output)
    document: dict[str, Any] = {
        "source": batch.source,
        "records": batch.records,
        "reports": len(batch.reports),
        "rejected": len(batch.problems),
        "problems": problems,
        "encoding": batch.encoding,
        "encoding_note": batch.encoding_note,
        "clusters": result.clusters,
        "cases": len(result.suite.cases),
        "new_cases": result.new_cases,
        "revision": result.suite.revision,
        "redactions": result.redactions,
        "timings_s": {k: round(v, 4) for k, v in result.timings_s.items()},
        "output": str(output) if output else None,
    }
    if as_json:
        if output is None:
            document["suite"] = result.suite.model_dump(mode="json")
        typer.echo(json.dumps(document))
        return
    err = _err()
    if batch.encoding_note:
        typer.echo(f"note: {batch.encoding_note}", err=True)
    for line in problems:
        typer.echo(f"bad record: {line}", err=True)
    if output is None:
        from redline.regress import dump_regression_suite

        typer.echo(dump_regression_suite(result.suite), nl=False)
    redacted = ", ".join(f"{k} {v}" for k, v in sorted(result.redactions.items())) or "none"
    err.print(
        f"{batch.records} records: {len(batch.reports)} read, {len(batch.problems)} rejected; "
        f"{result.clusters} clusters -> {len(result.suite.cases)} cases "
        f"({result.new_cases} new, revision {result.suite.revision}); redacted: {redacted}",
        highlight=False,
    )
    if output is not None:
        err.print(f"suite: {output}", highlight=False)


def shrink(
    suite_path: Annotated[Path, typer.Argument(help="Regression suite YAML.")],
    target: TargetOption = None,
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    target_config: TargetConfigOption = None,
    system_prompt: SystemPromptOption = None,
    trials: Annotated[int, typer.Option(min=1, help="Samples per replay; fails if any fails.")] = 1,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Only this case id (repeatable).")
    ] = None,
    max_new_tokens: MaxNewTokensOption = 128,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of in place.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Replay each case against a target and shrink its conversation to the fewest
    turns that still fail; cases that no longer fail are marked reproduced: false."""
    from redline.regress import load_regression_suite, save_regression_suite, shrink_suite

    suite = load_regression_suite(suite_path)
    wanted = set(case or [])
    for case_id in wanted:
        suite.case(case_id)  # an unknown id fails here, before anything is sent
    spec = TargetSpec.parse(
        target,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        model_path=model_path,
        config_file=target_config,
        system_prompt=system_prompt,
    )
    updated, done = asyncio.run(
        shrink_suite(
            suite,
            target=spec,
            generation=GenerationParams(max_tokens=max_new_tokens or 128),
            trials=trials,
            case_ids=wanted,
        )
    )
    save_regression_suite(updated, output or suite_path)
    rows = [
        {
            "case": o.case.id,
            "reproduced": o.reproduced,
            "messages": len(o.case.messages),
            "removed_messages": o.removed_messages,
            "replays": o.replays,
            "errors": o.errors,
        }
        for o in done
    ]
    if as_json:
        typer.echo(json.dumps({"suite": str(output or suite_path), "cases": rows}))
        return
    table = Table("case", "reproduced", "messages", "removed", "replays")
    for row in rows:
        table.add_row(
            row["case"],
            "yes" if row["reproduced"] else "[yellow]no[/]",
            str(row["messages"]),
            str(row["removed_messages"]),
            str(row["replays"]),
        )
    Console().print(table)
    typer.echo(f"suite: {output or suite_path}")


def run(
    suite_path: Annotated[Path, typer.Argument(help="Regression suite YAML.")],
    target: TargetOption = None,
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    target_config: TargetConfigOption = None,
    system_prompt: SystemPromptOption = None,
    epochs: EpochsOption = 1,
    temperature: TemperatureOption = 0.0,
    max_new_tokens: MaxNewTokensOption = 128,
    concurrency: ConcurrencyOption = 8,
    timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds before a request times out.")
    ] = 60.0,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
    no_progress: NoProgressOption = False,
) -> None:
    """Replay a regression suite against a target: pass rates per case and per policy
    with intervals. Exit code 1 when any reply failed its case."""
    from redline.regress import load_regression_suite, run_suite
    from redline.run import EngineSettings

    suite = load_regression_suite(suite_path)
    spec = TargetSpec.parse(
        target,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        model_path=model_path,
        config_file=target_config,
        system_prompt=system_prompt,
    )
    result = asyncio.run(
        run_suite(
            suite,
            target=spec,
            store=RunStore(runs_dir),
            epochs=epochs or 1,
            generation=GenerationParams(
                max_tokens=max_new_tokens or 128, temperature=temperature or 0.0
            ),
            settings=EngineSettings(concurrency=concurrency or 8, timeout=timeout, cache=False),
            progress=not no_progress and not as_json,
            handle_sigint=True,
            suite_path=suite_path,
        )
    )
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json")))
    else:
        _print_result(result)
    if result.overall.samples == 0:
        typer.secho("error: no case got a reply; is the target reachable?", err=True, fg="red")
        raise typer.Exit(3)
    if not result.all_passed:
        raise typer.Exit(1)


def _print_result(result: Any) -> None:
    console = Console(width=max(100, Console().width))
    cases = Table("case", "policy", "expected", "severity", "passed", "pass rate [95% CI]")
    for case in result.cases:
        style = "" if case.passed == case.samples - case.errors else "red"
        cases.add_row(
            case.id,
            case.policy,
            case.expected,
            case.severity,
            f"{case.passed}/{case.samples - case.errors}"
            + (f" ({case.errors} errors)" if case.errors else ""),
            case.pass_rate.format(),
            style=style,
        )
    console.print(cases)
    policies = Table("policy", "cases", "passed", "pass rate [95% CI, clustered by case]")
    for item in [*result.policies, result.overall]:
        policies.add_row(
            item.policy, str(item.cases), f"{item.passed}/{item.samples}", item.pass_rate.format()
        )
    console.print(policies)
    for case in result.cases:
        if case.failure:
            console.print(f"[red]FAILED {case.id}[/]", highlight=False)
            console.print(case.failure, highlight=False, markup=False)
    console.print(f"run dir: {result.run_dir}", highlight=False)
    typer.echo(result.run_id)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Regression suites from abuse reports: ingest, shrink, run.", no_args_is_help=True
    )
    app.add_typer(group, name="regress")
    group.command("ingest")(ingest)
    group.command("shrink")(shrink)
    group.command("run")(run)
