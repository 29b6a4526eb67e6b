"""Agent episodes on a real local Ray cluster: whole episodes (tool loop, checks,
an MCP server session) run on the workers and give the figures the local executor
gives."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import redline
from redline.agents import AgentRunConfig, AgentRunResult, guard_screen, run_agent_suites
from redline.agents.mcp_environment import McpEnvironmentConfig, load_mcp_tasks
from redline.run import EngineSettings
from redline.store import RunStore

pytestmark = pytest.mark.slow
TASKS = ["pay_bill", "spotify_total", "refund_kim"]


async def _run(
    stub_agent: Callable[..., Any],
    tmp_path: Path,
    executor: str,
    *,
    script: list[Any],
    **config: Any,
) -> AgentRunResult:
    async with stub_agent("follow", script) as spec:
        # The workers started before the stub's key variable was set: the stub needs none.
        spec = spec.model_copy(update={"api_key_env": None})
        engine = EngineSettings(concurrency=4, cache=False, executor=executor, ray_workers=2)
        run_config = AgentRunConfig(target=spec, engine=engine, **config)
        store = RunStore(tmp_path / executor)
        return await run_agent_suites(run_config, store=store, progress=False)


def _figures(result: AgentRunResult) -> list[tuple[Any, ...]]:
    return [
        (r.suite, r.attack, r.utility.k, r.utility.n, r.targeted_asr.k, r.targeted_asr.n)
        for r in result.metrics
    ]


def test_the_guard_screen_pickles_without_its_guard() -> None:
    screen = guard_screen(0.7)
    assert pickle.loads(pickle.dumps(screen)) == screen


async def test_suite_episodes_on_ray_match_the_local_run(
    ray_cluster: None, stub_agent: Callable[..., Any], tmp_path: Path
) -> None:
    config = {"suites": ["banking"], "tasks": TASKS, "goal_limit": 3}
    local = await _run(stub_agent, tmp_path, "local", script=["banking"], **config)
    on_ray = await _run(stub_agent, tmp_path, "ray", script=["banking"], **config)
    assert on_ray.errors == 0 and on_ray.episodes == local.episodes > 3
    assert _figures(on_ray) == _figures(local)
    row = next(r for r in on_ray.metrics if r.suite == "banking")
    assert row.targeted_asr.rate == 1.0 and row.unexpected_taint_flows > 0


async def test_mcp_episodes_start_their_server_on_the_worker(
    ray_cluster: None, stub_agent: Callable[..., Any], tmp_path: Path
) -> None:
    tasks = Path(str(resources.files("redline.testing.mcp_servers").joinpath("inbox_tasks.yaml")))
    mcp = McpEnvironmentConfig(
        server=f"{sys.executable} -m redline.testing.mcp_stub --tools inbox",
        tasks=tasks,
        env={"PYTHONPATH": str(Path(redline.__file__).resolve().parents[1])},
        timeout_seconds=180.0,
    )
    result = await _run(stub_agent, tmp_path, "ray", script=[load_mcp_tasks(tasks)], mcp=mcp)
    row = next(r for r in result.metrics if r.suite == "mcp:inbox")
    assert result.errors == 0
    assert row.targeted_asr.k == row.targeted_asr.n == 3
