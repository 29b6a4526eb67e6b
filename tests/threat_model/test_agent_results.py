"""Threat models read agent runs: each threat an agent suite tests gets its
measured targeted attack success (with interval) from a real agent run against
the OpenAI-compatible stub playing scripted agents."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.agents import AgentRunConfig, reference_script, run_agent_suites
from redline.cli.app import app
from redline.core import ConfigError, RunInfo
from redline.run import EngineSettings
from redline.store import RunStore
from redline.targets import TargetSpec
from redline.testing.openai_stub import running_stub
from redline.threat_model import agent_suites, latest_suite_results, load_threat_rules
from redline.threat_model.rules import ThreatRules

EXAMPLE = Path(__file__).parents[2] / "examples" / "threat-model" / "support-agent.yaml"
KEY_ENV = "REDLINE_TEST_STUB_KEY"
runner = CliRunner()


def _agent_run(runs: Path, agent: str, *, defences: list[str] | None = None) -> str:
    """A banking run (2 tasks that read injected text x 2 goals) against the stub
    playing ``agent``; its id."""
    os.environ[KEY_ENV] = "stub"

    async def run() -> str:
        script = reference_script(["banking"])
        async with running_stub(delay=0.0, agent=agent, agent_script=script) as url:
            config = AgentRunConfig(
                suites=["banking"],
                target=TargetSpec(kind="openai", model="stub", base_url=url, api_key_env=KEY_ENV),
                defences=defences or ["none"],
                tasks=["pay_bill", "spotify_total"],
                goal_limit=2,
                engine=EngineSettings(concurrency=4, cache=False),
            )
            result = await run_agent_suites(config, store=RunStore(runs), progress=False)
            return result.run_id

    return asyncio.run(run())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Two agent runs: an injection follower, then (newer) an oracle."""
    root = tmp_path_factory.mktemp("runs")
    follower = _agent_run(root, "follow")
    oracle = _agent_run(root, "oracle", defences=["none", "spotlight"])
    return root, follower, oracle


def test_rules_name_only_real_agent_suites() -> None:
    rules: ThreatRules = load_threat_rules()
    named = {s for rule in rules.rules for s in rule.tests.agent_suites}
    assert named and named <= set(agent_suites())
    assert set(agent_suites()) == {"workspace", "banking", "travel", "team_chat"}


def test_newest_agent_run_by_default_and_a_chosen_one(runs: tuple[Path, str, str]) -> None:
    root, follower, oracle = runs
    newest = latest_suite_results(root, {"banking", "travel"})
    assert set(newest) == {"banking"}  # no run attacked travel
    assert newest["banking"].run_id == oracle and newest["banking"].successes == 0
    assert newest["banking"].defences == "none"
    chosen = latest_suite_results(root, {"banking"}, [follower])["banking"]
    assert chosen.run_id == follower
    assert chosen.successes == chosen.attacked > 0 and chosen.rate == 1.0
    assert chosen.low < 1.0 == chosen.high


def test_cli_threat_status_comes_from_the_agent_run(
    runs: tuple[Path, str, str], tmp_path: Path
) -> None:
    root, follower, oracle = runs
    out = tmp_path / "out"
    argv = ["threat-model", str(EXAMPLE), "-o", str(out), "--runs-dir", str(root)]
    # A run id prefix is accepted. Both runs may start in the same second, so
    # their ids can share more than the timestamp: take the shortest prefix
    # that tells them apart, at least one character past the timestamp.
    length = next(n for n in range(17, len(follower) + 1) if not oracle.startswith(follower[:n]))
    result = runner.invoke(app, [*argv, "--agent-run", follower[:length], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["agent_results"] == 1
    document = json.loads((out / "threat-model.json").read_text())
    money = next(t for t in document["threats"] if t["id"] == "refund:unauthorised-payment")
    assert money["status"] == "measured"
    assert "agent suite banking: 100% targeted attack success [" in money["results"]
    assert document["agent_suite_results"]["banking"]["run_id"] == follower
    markdown = (out / "threat-model.md").read_text()
    assert f"(agent run {follower})" in markdown
    # Threats only other suites test stay "tested", not measured.
    travel_only = [t for t in document["threats"] if t["tests"]["agent_suites"] == ["travel"]]
    assert all(t["status"] != "measured" for t in travel_only)


def test_agent_run_that_is_not_one_exits_2(runs: tuple[Path, str, str], tmp_path: Path) -> None:
    root, _, _ = runs
    plain = RunStore(root / "plain")
    plain.create(RunInfo(id="20260101-000000-cccccc", config={"kind": "scan"})).close()
    with pytest.raises(ConfigError, match="is not an agent run"):
        latest_suite_results(root / "plain", {"banking"}, ["20260101-000000-cccccc"])
    argv = ["threat-model", str(EXAMPLE), "-o", str(tmp_path / "o"), "--agent-run", "x"]
    result = runner.invoke(app, [*argv, "--runs-dir", str(root / "nowhere")])
    assert result.exit_code == 2
