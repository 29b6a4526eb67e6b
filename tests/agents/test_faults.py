"""Faults inside episodes: malformed calls, a failing agent, a sandboxed tool timing out."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.agents import AgentRunConfig, run_agent_suites
from redline.agents.sandboxed_code import sandbox_code_executor
from redline.run import EngineSettings
from redline.sandbox import sandbox_unavailable_reason
from redline.store import RunStore
from redline.targets import TargetSpec

AGENT = """
def agent(messages, tools):
    calls = [m for m in messages if m["role"] == "assistant" and m.get("tool_calls")]
    task = messages[1]["content"]
    if "salary" in task:
        raise RuntimeError("agent crashed")
    if "17 * 23" in task and not calls:
        return {"tool_calls": [{"name": "run_code", "arguments": {"code": "while True: pass"}}]}
    if not calls:
        return {"tool_calls": [{"name": "get_balance", "arguments": "{not json"},
                               {"name": "send_money", "arguments": {"to": "x"}}]}
    return {"text": "2500 EUR"}
"""


def _config(tmp_path: Path, suites: list[str], tasks: list[str]) -> AgentRunConfig:
    module = tmp_path / "broken_agent.py"
    module.write_text(AGENT)
    return AgentRunConfig(
        suites=suites,
        target=TargetSpec.parse(f"python:{module}:agent"),
        attacks=["none"],
        tasks=tasks,
        engine=EngineSettings(concurrency=1, cache=False),
    )


async def test_malformed_calls_are_counted_apart_and_errors_do_not_stop_the_run(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, ["banking"], ["balance", "salary_check"])
    result = await run_agent_suites(config, store=RunStore(tmp_path / "runs"), progress=False)
    row = next(r for r in result.metrics if r.suite == "banking")
    assert result.episodes == 2 and result.errors == 1
    assert result.status == "completed"
    assert row.utility.n == 1 and row.utility.rate == 1.0  # the answer was right anyway
    assert row.malformed_calls == 2 and row.episodes_with_malformed_calls == 1
    attempts = RunStore(tmp_path / "runs").open(result.run_id).read_attempts()
    crashed = next(a for a in attempts if a.error is not None)
    assert "agent crashed" in crashed.error.message


async def test_a_sandboxed_tool_timing_out_is_recorded_and_the_episode_goes_on(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    def executor(code: str, language: str) -> tuple[str, bool]:
        calls.append(code)
        return "", True  # what a sandbox reports when its time limit killed the code

    config = _config(tmp_path, ["workspace"], ["compute_product"])
    result = await run_agent_suites(
        config, store=RunStore(tmp_path / "runs"), progress=False, code_executor=executor
    )
    assert calls == ["while True: pass"]
    attempts = RunStore(tmp_path / "runs").open(result.run_id).read_attempts()
    [episode] = attempts
    assert episode.agent is not None
    assert episode.agent["calls"][0]["status"] == "error"
    assert "time limit" in next(m.content for m in episode.messages if m.role == "tool")
    assert episode.response == "2500 EUR"  # the agent carried on to its answer


async def test_without_a_sandbox_code_tasks_are_left_out_and_said_so(tmp_path: Path) -> None:
    config = _config(tmp_path, ["workspace"], ["compute_product", "dentist_time"])
    result = await run_agent_suites(config, store=RunStore(tmp_path / "runs"), progress=False)
    assert result.episodes == 1
    assert result.skipped == {"needs a code executor (no sandbox given)": 1}


@pytest.mark.slow
async def test_bundled_model_runs_an_episode_with_grammar_constrained_calls(
    tmp_path: Path,
) -> None:
    config = AgentRunConfig(
        suites=["banking"],
        target=TargetSpec(kind="local", options={"n_ctx": 4096}),
        tasks=["balance"],
        attacks=["none"],
        max_steps=3,
        engine=EngineSettings(concurrency=1, cache=False),
    )
    result = await run_agent_suites(config, store=RunStore(tmp_path / "runs"), progress=False)
    [episode] = RunStore(tmp_path / "runs").open(result.run_id).read_attempts()
    assert episode.error is None and episode.agent is not None
    offered = set(episode.agent["offered_tools"])
    # The grammar only lets the model name offered tools: nothing unknown or malformed JSON.
    assert all(c["tool"] in offered for c in episode.agent["calls"])
    assert episode.agent["call_statuses"].get("unknown", 0) == 0


async def test_run_code_executes_in_the_os_sandbox(tmp_path: Path) -> None:
    reason = sandbox_unavailable_reason()
    if reason is not None:
        pytest.skip(f"no sandbox here: {reason}")
    module = tmp_path / "coder.py"
    module.write_text(
        "def agent(messages, tools):\n"
        "    if messages[-1]['role'] == 'tool':\n"
        "        return {'text': 'Result: ' + messages[-1]['content']}\n"
        "    code = 'print(17 * 23)'\n"
        "    return {'tool_calls': [{'name': 'run_code', 'arguments': {'code': code}}]}\n"
    )
    config = AgentRunConfig(
        suites=["workspace"],
        target=TargetSpec.parse(f"python:{module}:agent"),
        attacks=["none"],
        tasks=["compute_product"],
        engine=EngineSettings(concurrency=1, cache=False),
    )
    result = await run_agent_suites(
        config,
        store=RunStore(tmp_path / "runs"),
        progress=False,
        code_executor=sandbox_code_executor(),
    )
    row = next(r for r in result.metrics if r.suite == "workspace")
    assert row.utility.rate == 1.0  # 391 came back from the sandboxed python
