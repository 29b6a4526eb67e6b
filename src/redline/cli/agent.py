"""`redline agent`: run tool-calling agents over simulated suites, with injections and defences."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.agent_mcp import env_pairs, register_mcp_scan
from redline.cli.options import (
    DEFAULT_RUNS_DIR,
    APIKeyEnvOption,
    BaseURLOption,
    ConcurrencyOption,
    ExecutorOption,
    JsonOption,
    MaxNewTokensOption,
    ModelOption,
    ModelPathOption,
    NoProgressOption,
    RayAddressOption,
    RayWorkersOption,
    RunsDirOption,
    TargetConfigOption,
    TargetOption,
    TemperatureOption,
)
from redline.core import ConfigError, GenerationParams
from redline.targets import TargetSpec

ALL = "all"


def _percent(rate: Any) -> str:
    if rate.rate is None:
        return "-"
    low, high = rate.interval.low, rate.interval.high
    return f"{100 * rate.rate:.1f}% [{100 * low:.0f}-{100 * high:.0f}] n={rate.n}"


def run(
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite", "-s", help="Suite to run (repeat for several; 'all' for every one)."
        ),
    ] = None,
    mcp_server: Annotated[
        str | None,
        typer.Option(
            "--mcp-server",
            help="Use this MCP server's tools as the environment: a command (\"python -m "
            'my_server", spoken to over stdio, one server per episode) or an http(s):// URL '
            "(Streamable HTTP). Needs --mcp-tasks.",
        ),
    ] = None,
    mcp_tasks: Annotated[
        Path | None,
        typer.Option(
            "--mcp-tasks",
            help="Task file (YAML) for --mcp-server: user tasks, attacker goals, tool "
            "capabilities (see docs/agents.md).",
        ),
    ] = None,
    mcp_env: Annotated[
        list[str] | None,
        typer.Option(
            "--mcp-env",
            help="NAME=VALUE for the server's environment (repeatable; stored in the run's "
            "config, so no secrets: use --mcp-pass-env).",
        ),
    ] = None,
    mcp_pass_env: Annotated[
        list[str] | None,
        typer.Option(
            "--mcp-pass-env",
            help="Pass this variable from redline's environment to the server (repeatable).",
        ),
    ] = None,
    mcp_timeout: Annotated[
        float,
        typer.Option("--mcp-timeout", min=1.0, help="Seconds to wait for each server reply."),
    ] = 60.0,
    target: TargetOption = None,
    model: ModelOption = None,
    base_url: BaseURLOption = None,
    api_key_env: APIKeyEnvOption = None,
    model_path: ModelPathOption = None,
    target_config: TargetConfigOption = None,
    attack: Annotated[
        list[str] | None,
        typer.Option(
            "--attack",
            "-a",
            help="Injection template (repeatable; 'none' for clean episodes only). "
            "Default important_instructions.",
        ),
    ] = None,
    defence: Annotated[
        list[str] | None,
        typer.Option(
            "--defence",
            "-d",
            help="Defence set to measure (repeatable, side by side; combine with '+', e.g. "
            "tool_filter+spotlight). Default none.",
        ),
    ] = None,
    protocol: Annotated[
        str,
        typer.Option(help="native (the target's tool calling) or react (tools in the prompt)."),
    ] = "native",
    task: Annotated[
        list[str] | None,
        typer.Option("--task", help="Run only this user task (repeatable; see agent list)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="User tasks per suite (first N).")
    ] = None,
    goal_limit: Annotated[
        int | None, typer.Option("--goal-limit", min=1, help="Attacker goals per suite (first N).")
    ] = None,
    max_steps: Annotated[int, typer.Option(min=1, max=100, help="Model turns per episode.")] = 10,
    max_new_tokens: MaxNewTokensOption = None,
    temperature: TemperatureOption = None,
    concurrency: ConcurrencyOption = None,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    ray_workers: RayWorkersOption = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse cached replies.")
    ] = False,
    new_run: Annotated[
        bool, typer.Option("--new-run", help="Start a new run even if this one exists (no resume).")
    ] = False,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    no_progress: NoProgressOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run a tool-calling agent over simulated environments, clean and under injection,
    or over an MCP server's tools (--mcp-server with --mcp-tasks).

    Each episode is a job of the run loop, stored in a run (re-running the same
    command resumes it). Prints utility, utility under attack and targeted ASR
    per suite x defence x attack with 95% intervals; the HTML report shows each
    episode's tool-call trace. With --executor ray, whole episodes run on Ray
    workers (no response cache there). Exit 3 when every episode failed or the MCP
    server does not start.
    """
    from redline.agents import AgentRunConfig, run_agent_suites, suite_names
    from redline.agents.mcp_environment import McpEnvironmentConfig
    from redline.agents.sandboxed_code import sandbox_code_executor
    from redline.engine.executors import uses_ray
    from redline.run import EngineSettings
    from redline.sandbox import sandbox_unavailable_reason
    from redline.store import RunStore

    suite = suite or []
    suites = suite_names() if ALL in suite else list(dict.fromkeys(suite))
    if (mcp_server is None) != (mcp_tasks is None):
        raise ConfigError("--mcp-server and --mcp-tasks go together: give both or neither")
    mcp = None
    if mcp_server is not None and mcp_tasks is not None:
        mcp = McpEnvironmentConfig(
            server=mcp_server,
            tasks=mcp_tasks,
            env=env_pairs(mcp_env or [], option="--mcp-env"),
            pass_env=mcp_pass_env or [],
            timeout_seconds=mcp_timeout,
        )
    spec = TargetSpec.parse(
        target,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        model_path=model_path,
        config_file=target_config,
    )
    generation = GenerationParams(max_tokens=max_new_tokens or 512, temperature=temperature or 0.0)
    config = AgentRunConfig(
        suites=suites,
        mcp=mcp,
        target=spec,
        attacks=attack or ["important_instructions"],
        defences=defence or ["none"],
        protocol=_protocol(protocol),
        tasks=task,
        limit=limit,
        goal_limit=goal_limit,
        max_steps=max_steps,
        generation=generation,
        engine=EngineSettings(
            concurrency=concurrency or 8,
            cache=not no_cache,
            # Episodes run whole on a Ray worker (their MCP servers and sandboxes too).
            executor="ray" if uses_ray(executor) else "local",
            ray_address=ray_address,
            ray_workers=ray_workers,
        ),
    )
    code_executor = sandbox_code_executor()
    if code_executor is None:
        reason = sandbox_unavailable_reason()
        typer.echo(f"note: run_code tasks left out, no sandbox: {reason}", err=True)
    result = asyncio.run(
        run_agent_suites(
            config,
            store=RunStore(runs_dir),
            new_run=new_run,
            progress=not no_progress and not as_json,
            handle_sigint=True,
            code_executor=code_executor,
        )
    )
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        _print_table(result)
    if result.status == "failed":
        raise typer.Exit(3)


def _protocol(value: str) -> Any:
    from redline.agents.protocol import PROTOCOLS

    if value not in PROTOCOLS:
        raise ConfigError(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {value!r}")
    return value


def _print_table(result: Any) -> None:
    table = Table(title=f"agent run {result.run_id} ({result.status})")
    for column in (
        "suite",
        "defences",
        "attack",
        "utility",
        "utility under attack",
        "targeted ASR",
    ):
        table.add_column(column)
    table.add_column("malformed calls", justify="right")
    table.add_column("taint flows", justify="right")
    for row in result.metrics:
        table.add_row(
            row.suite,
            row.defences,
            row.attack,
            _percent(row.utility),
            _percent(row.utility_under_attack),
            _percent(row.targeted_asr),
            str(row.malformed_calls),
            str(row.unexpected_taint_flows),
        )
    console = Console()
    console.print(table)
    skipped = ", ".join(f"{n} {why}" for why, n in result.skipped.items()) or "none"
    console.print(
        f"{result.episodes} episodes ({result.errors} errors, {result.skipped_done} already done); "
        f"left out: {skipped}\nreport: {result.report_path}"
    )


def list_command(
    suite: Annotated[
        str | None, typer.Option("--suite", "-s", help="Show this suite's tasks and goals.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the agent suites, attacks and defences (with --suite, its tasks and goals)."""
    from redline.agents import DEFENCES, injection_templates, load_suite, suite_names

    if suite is not None:
        loaded = load_suite(suite)
        document: dict[str, Any] = {
            "suite": loaded.name,
            "description": loaded.description,
            "tools": [{"name": t.name, "capabilities": list(t.capabilities)} for t in loaded.tools],
            "user_tasks": [{"id": t.id, "prompt": t.prompt} for t in loaded.user_tasks],
            "injection_tasks": [
                {"id": g.id, "kind": g.kind, "goal": g.goal} for g in loaded.injection_tasks
            ],
        }
    else:
        document = {
            "suites": [
                {
                    "name": name,
                    "description": load_suite(name).description,
                    "user_tasks": len(load_suite(name).user_tasks),
                    "injection_tasks": len(load_suite(name).injection_tasks),
                    "tools": len(load_suite(name).tools),
                }
                for name in suite_names()
            ],
            "attacks": {name: t.description for name, t in injection_templates().items()},
            "defences": dict(DEFENCES),
        }
    if as_json:
        typer.echo(json.dumps(document))
        return
    _print_listing(document)


def _print_listing(document: dict[str, Any]) -> None:
    console = Console()
    if "suite" in document:
        console.print(f"[bold]{document['suite']}[/bold]: {document['description']}")
        console.print(
            "tools: "
            + ", ".join(
                f"{t['name']} ({', '.join(t['capabilities']) or '-'})" for t in document["tools"]
            )
        )
        for task in document["user_tasks"]:
            console.print(f"  task {task['id']}: {task['prompt']}")
        for goal in document["injection_tasks"]:
            console.print(f"  goal {goal['id']} [{goal['kind']}]: {goal['goal']}")
        return
    table = Table(title="agent suites")
    for column in ("suite", "user tasks", "attacker goals", "tools", "description"):
        table.add_column(column)
    for item in document["suites"]:
        table.add_row(
            item["name"],
            str(item["user_tasks"]),
            str(item["injection_tasks"]),
            str(item["tools"]),
            item["description"],
        )
    console.print(table)
    console.print("attacks: " + ", ".join(["none", *document["attacks"]]))
    console.print("defences: " + ", ".join(["none", *document["defences"]]))


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Tool-calling agents: run suites under injection, list suites, scan MCP servers.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="agent")
    group.command("run")(run)
    group.command("list")(list_command)
    register_mcp_scan(group)
