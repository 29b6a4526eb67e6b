"""`redline agent run` and `redline agent list`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from redline.cli.app import app

runner = CliRunner()


@pytest.fixture
def follower_url(stub_in_thread: Callable[..., Any]) -> Iterator[str]:
    """A stub playing the injection-following agent, served from its own thread."""
    with stub_in_thread("follow", ["banking"]) as url:
        yield url


def test_list_json_names_suites_attacks_and_defences() -> None:
    result = runner.invoke(app, ["agent", "list", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {s["name"] for s in document["suites"]} >= {
        "workspace",
        "banking",
        "travel",
        "team_chat",
    }
    assert "tool_knowledge" in document["attacks"] and "plan_execute" in document["defences"]
    one = json.loads(runner.invoke(app, ["agent", "list", "--suite", "travel", "--json"]).stdout)
    assert any(t["id"] == "book_aurora" for t in one["user_tasks"])


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["--suite", "bankin"], "Did you mean 'banking'"),
        (["--suite", "banking", "--task", "pay_bil"], "Did you mean 'pay_bill'"),
        (["--suite", "banking", "--attack", "ignore_previos"], "Did you mean 'ignore_previous'"),
        (["--suite", "banking", "--defence", "spotlite"], "Did you mean 'spotlight'"),
        (["--suite", "banking", "--protocol", "xml"], "--protocol must be one of"),
    ],
)
def test_unknown_ids_exit_2_with_did_you_mean(argv: list[str], hint: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["agent", "run", *argv, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert hint in result.output


def test_help() -> None:
    result = runner.invoke(app, ["agent", "run", "--help"])
    assert result.exit_code == 0 and "--defence" in result.output


@pytest.mark.slow
def test_run_json_against_the_stub(
    follower_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_KEY", "x")
    argv = [
        "agent", "run", "--suite", "banking", "--target", "openai:stub", "--base-url",
        follower_url, "--api-key-env", "STUB_KEY", "--limit", "4", "--goal-limit", "2",
        "--defence", "none", "--defence", "tool_filter", "--runs-dir", str(tmp_path), "--json",
    ]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = {(r["suite"], r["defences"]): r for r in document["metrics"]}
    assert rows[("banking", "none")]["targeted_asr"]["rate"] == 1.0
    assert rows[("banking", "tool_filter")]["targeted_asr"]["rate"] < 1.0
    assert document["status"] == "completed"
    assert Path(document["report_path"]).is_file()
