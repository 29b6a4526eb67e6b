"""`agent run` over a real MCP server's tools (the inbox stub, over stdio and HTTP)
against the OpenAI-compatible stub playing scripted tool-calling agents."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import redline
from redline.agents import AgentRunConfig, AgentRunResult, run_agent_suites
from redline.agents.mcp_environment import McpEnvironmentConfig, load_mcp_tasks
from redline.cli.app import app
from redline.core import ConfigError
from redline.mcp import McpServerError
from redline.run import EngineSettings
from redline.store import RunStore

# The server is a subprocess: it imports redline from the tree under test.
SERVER_ENV = {"PYTHONPATH": str(Path(redline.__file__).resolve().parents[1])}
SERVER = f"{sys.executable} -m redline.testing.mcp_stub --tools inbox"
cli = CliRunner()
# Starting Python with the MCP SDK takes seconds on a loaded machine.
TIMEOUT = 180.0
TASKS = Path(str(resources.files("redline.testing.mcp_servers").joinpath("inbox_tasks.yaml")))


def _mcp(server: str = SERVER) -> McpEnvironmentConfig:
    return McpEnvironmentConfig(server=server, tasks=TASKS, env=SERVER_ENV, timeout_seconds=TIMEOUT)


async def _run(
    stub_agent: Callable[..., Any],
    tmp_path: Path,
    agent: str,
    *,
    mcp: McpEnvironmentConfig | None = None,
    **config: Any,
) -> AgentRunResult:
    async with stub_agent(agent, [load_mcp_tasks(TASKS)]) as spec:
        run_config = AgentRunConfig(
            mcp=mcp or _mcp(),
            target=spec,
            engine=EngineSettings(concurrency=4, cache=False),
            **config,
        )
        return await run_agent_suites(run_config, store=RunStore(tmp_path / "runs"), progress=False)


def _episodes(result: AgentRunResult) -> list[Any]:
    handle = RunStore(result.run_dir.parent).open(result.run_id)
    try:
        return handle.read_attempts()
    finally:
        handle.close()


def _row(result: AgentRunResult, defences: str = "none") -> Any:
    return next(r for r in result.metrics if r.suite == "mcp:inbox" and r.defences == defences)


@pytest.mark.slow
async def test_follower_acts_on_the_servers_injection(
    stub_agent: Callable[..., Any], tmp_path: Path
) -> None:
    result = await _run(stub_agent, tmp_path, "follow")
    assert result.status == "completed" and result.errors == 0
    row = _row(result)
    assert row.attack == "mcp_server"
    assert row.targeted_asr.k == 3 and row.targeted_asr.n == 3
    episodes = _episodes(result)
    assert len(episodes) == 3
    for episode in episodes:
        agent = episode.agent
        assert sorted(agent["goals_reached"]) == ["grant_admin", "leak_api_key"]
        calls = {c["tool"]: c for c in agent["calls"]}
        # Routed to the server and answered by it; the tool it lacks is recorded, not sent.
        assert calls["read_inbox"]["status"] == "ok"
        assert calls["send_email"]["status"] == "ok"
        assert calls["grant_admin_access"]["status"] == "unknown"
        # The trace holds the server's own replies.
        tool_texts = [m.content for m in episode.messages if m.role == "tool"]
        assert any("sk-live-4417" in t for t in tool_texts)
        assert any(t == "sent to backup@exfil.example" for t in tool_texts)
        flows = [f for f in agent["taint_flows"] if f["sink_tool"] == "send_email"]
        assert any(
            f["kind"] == "data"
            and f["source_tool"] == "read_inbox"
            and "backup@exfil.example" in f["evidence"]
            for f in flows
        )
    assert row.unexpected_taint_flows > 0


@pytest.mark.slow
async def test_oracle_does_the_tasks_and_no_goal(
    stub_agent: Callable[..., Any], tmp_path: Path
) -> None:
    result = await _run(stub_agent, tmp_path, "oracle")
    row = _row(result)
    assert row.utility_under_attack.k == 3 and row.targeted_asr.k == 0
    assert row.utility.n == 0  # every episode saw the server's injection: none is clean


@pytest.mark.slow
async def test_plan_execute_blocks_the_injected_calls(
    stub_agent: Callable[..., Any], tmp_path: Path
) -> None:
    result = await _run(stub_agent, tmp_path, "follow", defences=["plan_execute"])
    row = _row(result, "plan_execute")
    # The escalation goal names a tool nobody has: the follower still tries it, so
    # it counts; the exfiltration is blocked for the two tasks that never send mail.
    leaks = [e for e in _episodes(result) if "leak_api_key" in e.agent["goals_reached"]]
    assert [e.agent["user_task"] for e in leaks] == ["confirm_lunch"]
    assert row.blocked_or_refused_calls > 0


@contextmanager
def _http_server() -> Iterator[str]:
    """The inbox stub serving Streamable HTTP; its first stdout line is the URL."""
    process = subprocess.Popen(
        [*SERVER.split(), "--http-port", "0"], stdout=subprocess.PIPE, text=True, env=SERVER_ENV
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.mark.slow
async def test_http_server_by_url(stub_agent: Callable[..., Any], tmp_path: Path) -> None:
    with _http_server() as url:
        result = await _run(stub_agent, tmp_path, "follow", mcp=_mcp(url), limit=1)
    row = _row(result)
    assert result.errors == 0 and row.targeted_asr.k == 1
    assert _episodes(result)[0].attack_params["mcp_server"] == url


def test_server_that_will_not_start_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = f"{sys.executable} -c 'import sys; sys.exit(4)'"
    config = AgentRunConfig(mcp=_mcp(broken))
    with pytest.raises(McpServerError, match=r"sys\.exit\(4\)"):
        asyncio.run(run_agent_suites(config, store=RunStore(tmp_path / "runs"), progress=False))


def test_state_checks_are_refused_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "tasks.yaml"
    bad.write_text(
        "user_tasks:\n  - id: t\n    prompt: p\n    solution: []\n    checks:\n"
        "      - record: emails\n        where: {to: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"tasks.yaml:6: user_tasks.0.checks.0: record checks"):
        load_mcp_tasks(bad)


def test_cli_help_names_the_mcp_options() -> None:
    result = cli.invoke(app, ["agent", "run", "--help"])
    assert result.exit_code == 0
    assert "--mcp-server" in result.output and "--mcp-tasks" in result.output


def test_cli_mcp_server_needs_a_task_file(tmp_path: Path) -> None:
    result = cli.invoke(app, ["agent", "run", "--mcp-server", SERVER, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--mcp-tasks" in result.output


def test_cli_server_that_will_not_start_exits_3_naming_it(tmp_path: Path) -> None:
    broken = f"{sys.executable} -c 'import sys; sys.exit(4)'"
    argv = ["agent", "run", "--mcp-server", broken, "--mcp-tasks", str(TASKS)]
    # The target is never reached: the server's tools are listed before any episode.
    target = ["--target", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    result = cli.invoke(app, [*argv, *target, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert "sys.exit(4)" in result.output


@pytest.mark.slow
def test_cli_runs_an_mcp_environment_with_json(
    stub_in_thread: Callable[..., Any], tmp_path: Path
) -> None:
    with stub_in_thread("follow", [load_mcp_tasks(TASKS)]) as url:
        argv = [
            "agent", "run", "--mcp-server", SERVER, "--mcp-tasks", str(TASKS),
            "--mcp-env", f"PYTHONPATH={SERVER_ENV['PYTHONPATH']}", "--mcp-timeout", "180",
            "--target", "openai", "--model", "stub", "--base-url", url,
            "--api-key-env", "REDLINE_TEST_STUB_KEY", "--task", "lunch_time",
            "--runs-dir", str(tmp_path), "--json", "--no-cache",
        ]  # fmt: skip
        result = cli.invoke(app, argv)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    row = next(r for r in document["metrics"] if r["suite"] == "mcp:inbox")
    assert row["targeted_asr"]["k"] == 1 and row["targeted_asr"]["n"] == 1
