"""`redline runs list|show` and `redline query`, through the real typer app."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.core import Attempt, AttemptError, Message, RunInfo, Score
from redline.store import RunStore

runner = CliRunner()
RUN_A = "20260101-000000-aaaaaa"
RUN_B = "20260102-000000-bbbbbb"


@pytest.fixture
def runs_dir(tmp_path):
    store = RunStore(tmp_path / "runs")
    for run_id, created, n in (
        (RUN_A, "2026-01-01T00:00:00+00:00", 2),
        (RUN_B, "2026-01-02T00:00:00+00:00", 3),
    ):
        with store.create(
            RunInfo(
                id=run_id,
                created_at=created,
                config={"target": "openai:stub", "config_hash": run_id[-3:]},
            )
        ) as run:
            for i in range(n):
                attempt = Attempt(
                    id=f"a{i}",
                    run_id=run_id,
                    behavior_id=f"b{i}",
                    category="cyber",
                    expected="refuse",
                    target="openai:stub",
                    messages=[Message(role="user", content="hi")],
                    response=None if i == 0 else "no",
                    error=AttemptError(kind="timeout", message="slow") if i == 0 else None,
                )
                run.append_attempt(attempt)
                run.append_score(
                    Score(
                        attempt_id=attempt.id,
                        scorer="refusal",
                        scorer_version="1",
                        label="refused",
                        value=1.0,
                    )
                )
            run.update(
                status="completed",
                counts={"attempts": n, "errors": 1},
                engine_stats={"requests_sent": n, "wall_s": 0.5},
            )
    return tmp_path / "runs"


def test_runs_list_json_is_newest_first(runs_dir):
    result = runner.invoke(app, ["runs", "list", "--runs-dir", str(runs_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [r["id"] for r in payload["runs"]] == [RUN_B, RUN_A]
    assert payload["runs"][0]["counts"] == {"attempts": 3, "errors": 1}


def test_runs_list_table_and_env_default(runs_dir, monkeypatch):
    monkeypatch.setenv("REDLINE_RUNS_DIR", str(runs_dir))
    result = runner.invoke(app, ["runs", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert RUN_A in result.stdout and RUN_B in result.stdout
    assert "target=openai:stub" in result.stdout


def test_runs_list_empty(tmp_path):
    result = runner.invoke(app, ["runs", "list", "--runs-dir", str(tmp_path / "none")])
    assert result.exit_code == 0 and "no runs" in result.stdout


def test_runs_show_json(runs_dir):
    result = runner.invoke(app, ["runs", "show", RUN_B, "--runs-dir", str(runs_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["run"]["status"] == "completed"
    assert payload["run"]["engine_stats"]["requests_sent"] == 3
    assert payload["recorded"] == {"attempts": 3, "errors": 1, "scores": 3}
    assert payload["paths"]["attempts"].endswith(f"{RUN_B}/attempts.jsonl")


def test_runs_show_table_by_prefix(runs_dir):
    result = runner.invoke(app, ["runs", "show", "20260101", "--runs-dir", str(runs_dir)])
    assert result.exit_code == 0, result.output
    assert RUN_A in result.stdout and "completed" in result.stdout
    assert "engine requests_sent" in result.stdout


def test_query_json(runs_dir):
    sql = "SELECT run_id, count(*) AS n, count(error) AS errors FROM attempts GROUP BY 1 ORDER BY 1"
    result = runner.invoke(app, ["query", sql, "--runs-dir", str(runs_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["columns"] == ["run_id", "n", "errors"]
    assert payload["rows"] == [
        {"run_id": RUN_A, "n": 2, "errors": 1},
        {"run_id": RUN_B, "n": 3, "errors": 1},
    ]


def test_query_table(runs_dir):
    result = runner.invoke(
        app, ["query", "SELECT id, created_at FROM runs ORDER BY id", "--runs-dir", str(runs_dir)]
    )
    assert result.exit_code == 0, result.output
    assert RUN_A in result.stdout and "2026-01-02" in result.stdout and "2 rows" in result.stdout


def test_help_texts():
    for args in (
        ["runs", "--help"],
        ["runs", "list", "--help"],
        ["runs", "show", "--help"],
        ["query", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "--runs-dir" in result.stdout or "show" in result.stdout


def _redline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redline", *args], capture_output=True, text=True, timeout=60
    )


def test_unknown_run_id_exits_2_with_one_line(runs_dir):
    result = _redline("runs", "show", "20260101-000000-aaaaab", "--runs-dir", str(runs_dir))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no run '20260101-000000-aaaaab' in {runs_dir}; nearest: {RUN_A}, {RUN_B}"
    ]


def test_bad_sql_exits_2(runs_dir):
    result = _redline("query", "SELECT nope FROM attempts", "--runs-dir", str(runs_dir), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: query failed: Binder Error")


def test_config_summary_reads_target_specs_and_lists():
    from redline.cli.runs import config_summary

    config = {
        "target": {"kind": "openai", "model": "stub", "base_url": "http://x"},
        "suites": ["demo", "harmful"],
        "epochs": 2,
        "config_hash": "abc",
    }
    assert config_summary(config) == "target=openai:stub suites=demo,harmful epochs=2"
    assert config_summary({"a": 1, "b": {"c": 2}}) == "a=1"


def test_runs_list_on_an_80_column_terminal_keeps_config_on_one_line(tmp_path):
    store = RunStore(tmp_path / "runs")
    config = {
        "target": {"kind": "openai", "model": "gpt-4o-mini"},
        "suites": ["default", "demo"],
        "scorers": ["refusal"],
        "epochs": 1,
    }
    with store.create(RunInfo(id=RUN_A, created_at="2026-01-01T00:00:00+00:00", config=config)):
        pass
    result = runner.invoke(
        app, ["runs", "list", "--runs-dir", str(tmp_path / "runs")], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    digest = "target=openai:gpt-4o-mini suites=default,demo scorers=refusal epochs=1"
    assert any(line.strip() == digest for line in lines), result.stdout
