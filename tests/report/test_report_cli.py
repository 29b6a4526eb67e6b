"""`redline report RUN_ID` over a run written with the real RunStore."""

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from redline.cli import report as report_cli
from redline.core.errors import ConfigError
from redline.store import RunStore


@pytest.fixture
def stored_run(tmp_path, run_info, hand_run):
    attempts, scores = hand_run
    with RunStore(tmp_path / "runs").create(run_info) as handle:
        for attempt in attempts:
            handle.append_attempt(attempt)
        for score in scores:
            handle.append_score(score)
        handle.update(status="completed")
    return tmp_path / "runs", run_info.id


@pytest.fixture
def app():
    app = typer.Typer()
    report_cli.register(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


def _redline(*args, env=None):
    code = "import sys; from redline.cli.app import main; sys.argv[0] = 'redline'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_report_json_writes_html_and_summary(stored_run, tmp_path, app):
    runs_dir, run_id = stored_run
    output = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(
        app, ["report", run_id, "--runs-dir", str(runs_dir), "--output", str(output), "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["run_id"] == run_id and document["report"] == str(output)
    overall = document["summary"]["overall"]
    assert overall["attempts"] == 10 and overall["errors"] == 2
    assert overall["attack_success"]["events"] == 1 and overall["attack_success"]["scored"] == 4
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_text_defaults_to_the_run_directory(stored_run, app):
    runs_dir, run_id = stored_run
    result = CliRunner().invoke(app, ["report", run_id[:10], "--runs-dir", str(runs_dir)])
    assert result.exit_code == 0, result.output
    expected = runs_dir / run_id / "report.html"
    assert expected.exists()
    assert f"report: {expected}" in result.stdout
    assert "non-refusal rate" in result.stdout and "overall" in result.stdout


def test_report_unknown_run_is_a_config_error(stored_run, app):
    runs_dir, _ = stored_run
    result = CliRunner().invoke(app, ["report", "nope", "--runs-dir", str(runs_dir)])
    assert isinstance(result.exception, ConfigError)


def test_report_through_the_real_cli(stored_run, tmp_path):
    runs_dir, run_id = stored_run
    ok = _redline("report", run_id, "--json", env={"REDLINE_RUNS_DIR": str(runs_dir)})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["summary"]["overall"]["scored"] == 7
    missing = _redline("report", "20990101-000000-000000", "--runs-dir", str(runs_dir))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no run '20990101-000000-000000'")
    assert missing.stdout == ""
    helped = _redline("report", "--help")
    assert helped.returncode == 0 and "--output" in helped.stdout


def test_headline_scorer_option(stored_run, tmp_path, app):
    runs_dir, run_id = stored_run
    result = CliRunner().invoke(
        app, ["report", run_id, "--runs-dir", str(runs_dir), "--headline-scorer", "refusal",
              "--json", "--output", str(tmp_path / "r.html")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["scorer"], summary["by_family"]) == ("refusal", False)
    assert summary["overall"]["attack_success_name"] == "non-refusal rate"
    assert "--headline-scorer" in CliRunner().invoke(app, ["report", "--help"]).output
    # A scorer that labelled nothing leaves every attempt unlabelled, and says so.
    other = CliRunner().invoke(
        app, ["report", run_id, "--runs-dir", str(runs_dir), "--headline-scorer", "canary",
              "--json", "--output", str(tmp_path / "c.html")],
    )  # fmt: skip
    overall = json.loads(other.stdout)["summary"]["overall"]
    assert overall["scored"] == 0 and overall["unscored"] == 8


def test_max_transcripts_option(stored_run, tmp_path, app):
    runs_dir, run_id = stored_run
    output = tmp_path / "three.html"
    result = CliRunner().invoke(
        app, ["report", run_id, "--runs-dir", str(runs_dir), "--max-transcripts", "3",
              "--output", str(output), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "Showing 3 of 10 transcripts" in html
    none = CliRunner().invoke(
        app, ["report", run_id, "--runs-dir", str(runs_dir), "--max-transcripts", "0",
              "--output", str(tmp_path / "none.html")],
    )  # fmt: skip
    assert none.exit_code == 0, none.output
    assert "Showing 0 of 10 transcripts" in (tmp_path / "none.html").read_text(encoding="utf-8")
    negative = _redline("report", run_id, "--runs-dir", str(runs_dir), "--max-transcripts", "-1")
    assert negative.returncode == 2
    assert "--max-transcripts" in negative.stderr
    assert "--max-transcripts" in CliRunner().invoke(app, ["report", "--help"]).output
