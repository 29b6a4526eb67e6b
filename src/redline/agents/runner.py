"""Run agent suites (or an MCP server's tools) against a target: plan episodes, send
them through the run loop, store them in a run (resumable like a scan), report the
figures."""

from __future__ import annotations

import difflib
import platform
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import redline
from redline.agents.defences import OutputScreen, defence_sets
from redline.agents.injection import NO_ATTACK, injection_template
from redline.agents.mcp_environment import (
    McpEnvironmentConfig,
    list_server_tools,
    load_mcp_tasks,
    mcp_suite,
)
from redline.agents.metrics import AgentMetricsRow, agent_metrics
from redline.agents.planning import EpisodeOptions, plan_episodes
from redline.agents.protocol import ToolProtocol
from redline.agents.scorers import episode_scorers
from redline.agents.state import CodeExecutor
from redline.agents.suite import Suite, load_suite
from redline.core import (
    ConfigError,
    GenerationParams,
    Message,
    RunInfo,
    UnknownNameError,
    content_hash,
)
from redline.engine import EngineStats
from redline.guard import Guard
from redline.run import EngineSettings, RunLoop, finish_run, response_cache_path, send_into_run
from redline.store import RunHandle, RunStore, new_run_id
from redline.targets import TargetSpec


class AgentRunConfig(BaseModel):
    """What an agent run measures; its hash finds the run again to resume it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suites: list[str] = Field(default_factory=list)
    # An MCP server's tools as the environment, with the tasks of its task file.
    mcp: McpEnvironmentConfig | None = None
    target: TargetSpec = Field(default_factory=TargetSpec)
    attacks: list[str] = Field(default_factory=lambda: ["important_instructions"])
    defences: list[str] = Field(default_factory=lambda: ["none"])
    protocol: ToolProtocol = "native"
    # User-task ids to run (None: all); each must exist in one of the suites.
    tasks: list[str] | None = None
    limit: int | None = Field(default=None, ge=1)
    goal_limit: int | None = Field(default=None, ge=1)
    max_steps: int = Field(default=10, ge=1, le=100)
    seed: int = 0
    generation: GenerationParams = Field(default_factory=lambda: GenerationParams(max_tokens=512))
    engine: EngineSettings = Field(default_factory=EngineSettings)

    def validate_names(self) -> None:
        """Unknown suites, attacks or defences: ConfigError with a did-you-mean (exit 2)."""
        if not self.suites and self.mcp is None:
            raise ConfigError(
                "no suite given: --suite NAME (see redline agent list) or --mcp-server CMD"
            )
        suites = [load_suite(suite) for suite in self.suites]
        known = {t.id for suite in suites for t in suite.user_tasks}
        if self.mcp is not None:
            known |= {t.id for t in load_mcp_tasks(self.mcp.tasks).user_tasks}
        for task in self.tasks or ():
            if task not in known:
                close = difflib.get_close_matches(task, sorted(known), n=3, cutoff=0.5)
                hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                where = ", ".join([*self.suites, *([str(self.mcp.tasks)] if self.mcp else [])])
                raise UnknownNameError(
                    f"unknown user task {task!r} in {where}.{hint} "
                    "See: redline agent list --suite NAME"
                )
        for attack in self.attacks:
            if attack != NO_ATTACK:
                injection_template(attack)
        defence_sets(self.defences)

    def config_hash(self) -> str:
        # How fast a run sends does not change what it measures; an edited task file does.
        document = {"kind": "agent", **self.model_dump(mode="json", exclude={"engine"})}
        if self.mcp is not None:
            document["mcp_tasks_hash"] = self.mcp.tasks_hash()
        return content_hash(document)


class AgentRunResult(BaseModel):
    """What an agent run produced."""

    run_id: str
    run_dir: Path
    report_path: Path
    status: str
    episodes: int
    errors: int
    skipped_done: int
    skipped: dict[str, int]
    metrics: list[AgentMetricsRow]
    engine: EngineStats


def _open_run(store: RunStore, config: AgentRunConfig, *, new_run: bool) -> RunHandle:
    config_hash = config.config_hash()
    if not new_run:
        previous = store.find(config_hash)
        if previous is not None:
            return store.open(previous.id)
    stored = {**config.model_dump(mode="json"), "kind": "agent", "config_hash": config_hash}
    versions = {"redline": redline.__version__, "python": platform.python_version()}
    info = RunInfo(id=new_run_id(), config=stored, versions=versions)
    return store.create(info)


async def run_agent_suites(
    config: AgentRunConfig,
    *,
    store: RunStore,
    new_run: bool = False,
    progress: bool = True,
    handle_sigint: bool = False,
    code_executor: CodeExecutor | None = None,
    output_screen: OutputScreen | None = None,
    report_path: Path | None = None,
) -> AgentRunResult:
    """Run (or resume) the episodes ``config`` describes and write the run and its report.

    ``code_executor`` runs the ``run_code`` tool (the OS sandbox); without it,
    tasks that need code execution are skipped and counted. ``output_screen``
    is the guard defence's injection check (built from the guard when None
    and the defence is asked for).
    """
    config.validate_names()
    defences = defence_sets(config.defences)
    if output_screen is None and any("guard" in d for d in defences):
        output_screen = guard_screen()
    loop = RunLoop.for_target(
        config.target,
        settings=config.engine,
        cache_path=response_cache_path(store.root),
        progress=progress,
        handle_sigint=handle_sigint,
    )
    handle = None
    try:
        server_suite = await _server_suite(config.mcp) if config.mcp else None
        handle = _open_run(store, config, new_run=new_run)
        plan = plan_episodes(
            [load_suite(name) for name in config.suites],
            attacks=config.attacks,
            defences=defences,
            run_id=handle.info.id,
            target_name=loop.target.name,
            generation=config.generation,
            options=EpisodeOptions(
                protocol=config.protocol,
                max_steps=config.max_steps,
                code_executor=code_executor,
                output_screen=output_screen,
            ),
            seed=config.seed,
            tasks=config.tasks,
            limit=config.limit,
            goal_limit=config.goal_limit,
            server=(server_suite, config.mcp.mcp_server()) if server_suite and config.mcp else None,
        )
        done = handle.completed_attempt_ids()
        pending = [job for job in plan.jobs if job.attempt.id not in done]
        stats = await send_into_run(handle, loop, pending, scorers_for=episode_scorers)
        finished = finish_run(
            handle,
            stats,
            report_path=report_path or handle.path / "report.html",
            headline_scorer="agent_attack",
        )
        return AgentRunResult(
            run_id=handle.info.id,
            run_dir=handle.path,
            report_path=finished.report_path,
            status=finished.status,
            episodes=finished.counts["attempts"],
            errors=finished.counts["errors"],
            skipped_done=len(plan.jobs) - len(pending),
            skipped=plan.skipped,
            metrics=agent_metrics(finished.attempts),
            engine=stats,
        )
    finally:
        await loop.aclose()
        if handle is not None:
            handle.close()


async def _server_suite(config: McpEnvironmentConfig) -> Suite:
    """List the server's tools (exit 3 naming it when it fails) and join the task file."""
    tasks = load_mcp_tasks(config.tasks)
    tools = await list_server_tools(config.mcp_server())
    return mcp_suite(tasks, tools, path=config.tasks)


@cache
def _default_guard() -> Guard:
    # One guard per process: a Ray worker builds its own on its first screened output.
    return Guard.default()


@dataclass(frozen=True)
class GuardScreen:
    """The guard defence's check: the guard's injection scanner on one tool output.

    An object holding only its threshold, so that episodes carrying it pickle
    (Ray); the guard itself is built where the screen first runs.
    """

    threshold: float = 0.5

    def __call__(self, text: str) -> bool:
        verdict = _default_guard().check_input([Message(role="tool", content=text)])
        return verdict.scores.get("injection", {}).get("indirect", 0.0) >= self.threshold


def guard_screen(threshold: float = 0.5) -> OutputScreen:
    """The guard defence's check (see :class:`GuardScreen`)."""
    return GuardScreen(threshold)
