"""Agent runs end to end against a real HTTP stub playing scripted reference agents.

The reference agents prove the metrics: an oracle does every task (utility
100%) and no goal, an agent that follows every injection reaches every goal
(ASR 100%), one that ignores tool outputs reaches none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from redline.agents import AgentRunConfig, AgentRunResult, run_agent_suites
from redline.run import EngineSettings
from redline.store import RunStore

pytestmark = pytest.mark.slow
SUITES = ["banking", "travel"]


def _all(result: AgentRunResult, defences: str = "none") -> Any:
    return next(r for r in result.metrics if r.suite == "all" and r.defences == defences)


async def test_oracle_does_every_task_and_no_goal(run_against_stub: Callable[..., Any]) -> None:
    result = await run_against_stub("oracle", suites=SUITES)
    row = _all(result)
    assert result.status == "completed" and result.errors == 0
    assert row.utility.rate == 1.0 and row.utility.n == 30
    assert row.utility_under_attack.rate == 1.0
    assert row.targeted_asr.rate == 0.0 and row.targeted_asr.n > 50
    assert row.unexpected_taint_flows == 0
    assert row.targeted_asr.interval is not None and row.targeted_asr.interval.high > 0


async def test_follower_reaches_every_goal_and_flows_are_traced(
    run_against_stub: Callable[..., Any],
) -> None:
    result = await run_against_stub("follow", suites=SUITES)
    row = _all(result)
    assert row.targeted_asr.rate == 1.0
    assert row.utility.rate == 1.0
    assert row.unexpected_taint_flows > 0
    # the unoffered-tool probe: calls to a tool nobody offered, refused and counted
    assert row.blocked_or_refused_calls > 0


async def test_ignorer_reaches_no_goal_and_fails_answer_tasks(
    run_against_stub: Callable[..., Any],
) -> None:
    row = _all(await run_against_stub("ignore", suites=SUITES))
    assert row.targeted_asr.rate == 0.0
    assert 0.0 < row.utility.rate < 1.0  # actions done, questions unanswered


async def test_defences_side_by_side(run_against_stub: Callable[..., Any]) -> None:
    result = await run_against_stub(
        "follow",
        suites=["banking"],
        defences=["none", "tool_filter", "plan_execute", "spotlight", "guard"],
        goal_limit=6,
    )
    asr = {r.defences: r.targeted_asr.rate for r in result.metrics if r.suite == "all"}
    assert asr["none"] == 1.0
    assert asr["spotlight"] == 1.0  # the scripted follower reads through data marking
    assert asr["tool_filter"] < 0.5 and asr["plan_execute"] < 0.5
    assert asr["guard"] < asr["none"]
    utility = {r.defences: r.utility.rate for r in result.metrics if r.suite == "all"}
    assert utility["tool_filter"] == 1.0 and utility["plan_execute"] == 1.0


async def test_react_protocol_works_without_native_tools(
    run_against_stub: Callable[..., Any],
) -> None:
    result = await run_against_stub("follow", suites=["travel"], protocol="react", goal_limit=3)
    row = _all(result)
    assert row.utility.rate == 1.0 and row.targeted_asr.rate == 1.0
    assert row.malformed_calls == 0


async def test_rerun_resumes_and_trace_is_stored(
    tmp_path: Path, stub_agent: Callable[..., Any]
) -> None:
    store = RunStore(tmp_path / "runs")
    async with stub_agent("follow", ["team_chat"]) as spec:
        config = AgentRunConfig(
            suites=["team_chat"],
            target=spec,
            limit=3,
            goal_limit=2,
            engine=EngineSettings(concurrency=2, cache=False),
        )
        first = await run_agent_suites(config, store=store, progress=False)
        second = await run_agent_suites(config, store=store, progress=False)
    assert second.run_id == first.run_id
    assert second.skipped_done == first.episodes and second.engine.completed == 0
    attempts = store.open(first.run_id).read_attempts()
    attacked = next(a for a in attempts if a.agent and a.agent["injection_task"])
    roles = [m.role for m in attacked.messages]
    assert roles[:2] == ["system", "user"] and "tool" in roles
    assert attacked.agent["calls"][0]["status"] == "ok"
    report = (first.run_dir / "report.html").read_text()
    assert "tool calls" in report and attacked.agent["calls"][0]["tool"] in report
