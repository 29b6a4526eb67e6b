"""`redline ui` and `redline annotate` through the real typer app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from redline.annotation import AnnotationStore
from redline.cli.app import app
from redline.cli.ui import is_loopback
from redline.scoring.calibration import read_labels

from .conftest import RUN_A, RUN_B, make_runs

runner = CliRunner()


@pytest.fixture
def runs(tmp_path):
    return make_runs(tmp_path / "runs")


def test_loopback_hosts():
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.4", "example.org", "::"))


def test_non_loopback_host_needs_a_token(runs, monkeypatch):
    result = runner.invoke(app, ["ui", "--runs-dir", str(runs), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--auth-token-env" in result.output
    monkeypatch.delenv("UI_TOKEN_UNSET", raising=False)
    result = runner.invoke(
        app,
        ["ui", "--runs-dir", str(runs), "--host", "0.0.0.0", "--auth-token-env", "UI_TOKEN_UNSET"],
    )
    assert result.exit_code == 2 and "UI_TOKEN_UNSET is not set" in result.output


def test_missing_guard_file_is_a_usage_error(runs, tmp_path):
    result = runner.invoke(
        app, ["ui", "--runs-dir", str(runs), "--guard-file", str(tmp_path / "none.jsonl")]
    )
    assert result.exit_code == 2 and "none.jsonl: no such file" in result.output


def test_index_only_lists_runs_and_their_problems(runs, tmp_path):
    result = runner.invoke(
        app,
        ["ui", "--runs-dir", str(runs), "--cache-dir", str(tmp_path / "c"), "--index-only",
         "--json", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["runs"] == 6
    problems = {p["run_id"]: p["problem"] for p in document["problems"]}
    assert set(problems) == {"broken-run", "partial-run", "20260103-000000-cccccc"}
    assert (tmp_path / "c" / f"{RUN_A}.duckdb").exists()


def test_ui_help():
    result = runner.invoke(app, ["ui", "--help"])
    assert result.exit_code == 0 and "--allow-writes" in result.output


def test_annotate_create_agreement_adjudicate_export(runs, tmp_path):
    base = ["--runs-dir", str(runs), "--json"]
    result = runner.invoke(app, ["annotate", "create", RUN_A, "-n", "8", "--name", "q8", *base])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == 8
    files = AnnotationStore(runs).open("q8")
    ids = [i.id for i in files.queue.items]
    for n, item_id in enumerate(ids):
        files.add_label(item_id=item_id, annotator="ann", label="full_refusal")
        other = "full_refusal" if n % 4 else "full_compliance"
        files.add_label(item_id=item_id, annotator="bob", label=other)

    result = runner.invoke(app, ["annotate", "agreement", "q8", *base])
    document = json.loads(result.stdout)
    assert document["annotators"] == ["ann", "bob"] and len(document["disputed"]) == 2
    assert document["pairs"][0]["observed"] == pytest.approx(6 / 8)

    result = runner.invoke(
        app, ["annotate", "adjudicate", "q8", ids[0], "partial_refusal", "--by", "lead", *base]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(app, ["annotate", "export", "q8", "-o", str(out), *base])
    summary = json.loads(result.stdout)
    assert summary["rows"] == 7 and summary["disputed"] == 1
    records = read_labels(out, allowed=("full_refusal", "partial_refusal", "full_compliance"))
    assert sorted(r.human_label for r in records).count("partial_refusal") == 1

    result = runner.invoke(
        app,
        ["annotate", "export", "q8", "-o", str(out), "--format", "prefs", "--runs-dir", str(runs)],
    )
    assert result.exit_code == 2 and "--format labels" in result.output
    result = runner.invoke(app, ["annotate", "list", *base])
    assert json.loads(result.stdout)["queues"][0]["labelled"] == 8


def test_annotate_disagreements_pairwise_and_errors(runs):
    base = ["--runs-dir", str(runs), "--json"]
    result = runner.invoke(app, ["annotate", "create", RUN_A, "--disagreements", *base])
    assert result.exit_code == 0 and json.loads(result.stdout)["kind"] == "disagreements"
    result = runner.invoke(app, ["annotate", "pairwise", RUN_A, RUN_B, "-n", "5", *base])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == 5
    result = runner.invoke(app, ["annotate", "agreement", "nope", *base])
    assert result.exit_code == 2 and "no annotation queue 'nope'" in result.output
    result = runner.invoke(app, ["annotate", "create", RUN_A, "--task", "vibes", *base])
    assert result.exit_code == 2 and "unknown task 'vibes'" in result.output
