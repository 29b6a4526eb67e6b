"""`redline import ...` then the ordinary commands on the imported run, through the real app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.cli.app import app

FILES = Path(__file__).parent / "files"
runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args))


def test_import_rescore_report_and_compare(tmp_path):
    runs = str(tmp_path / "runs")
    first = _invoke(
        "import", "garak", str(FILES / "garak-0.10.report.jsonl"), "--runs-dir", runs, "--json"
    )
    assert first.exit_code == 0, first.output
    imported = json.loads(first.stdout)
    assert imported["attempts"] == 5 and imported["tool"] == "garak"
    run_id = imported["run_id"]

    # redline's own verdicts join garak's, side by side.
    rescored = _invoke(
        "runs", "rescore", run_id, "--scorer", "refusal-patterns", "--runs-dir", runs, "--json"
    )
    assert rescored.exit_code == 0, rescored.output
    assert json.loads(rescored.stdout) == {
        "run_id": run_id,
        "scorers": ["refusal-patterns"],
        "scored": 4,
        "skipped": 0,
    }
    again = _invoke("runs", "rescore", run_id, "-s", "refusal-patterns", "--runs-dir", runs)
    assert again.exit_code == 0 and "0 attempts scored" in again.stdout

    report = _invoke(
        "report",
        run_id,
        "--runs-dir",
        runs,
        "--scorer",
        "garak:dan.DAN",
        "--json",
        "--output",
        str(tmp_path / "r.html"),
    )
    assert report.exit_code == 0, report.output
    overall = json.loads(report.stdout)["summary"]["overall"]
    # garak's DAN detector hit 1 of the 3 answered Dan_11_0 outputs it scored.
    assert overall["attack_success"]["events"] == 1
    assert overall["attack_success"]["scored"] == 3
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    second = _invoke(
        "import",
        "garak",
        str(FILES / "garak-0.10.report.jsonl"),
        "--runs-dir",
        runs,
        "--name",
        "again",
        "--json",
    )
    other = json.loads(second.stdout)["run_id"]
    compared = _invoke(
        "compare", run_id, other, "--runs-dir", runs, "--scorer", "garak:dan.DAN", "--json"
    )
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["paired"] is not None


def test_import_help_and_bad_input(tmp_path):
    for tool in ("garak", "promptfoo", "inspect"):
        shown = _invoke("import", tool, "--help")
        assert shown.exit_code == 0 and "--runs-dir" in shown.stdout
    bad = tmp_path / "bad.report.jsonl"
    bad.write_text('{"entry_type": "init"}\nnot json\n')
    result = _invoke("import", "garak", str(bad), "--runs-dir", str(tmp_path / "runs"))
    assert result.exit_code == 2
    assert f"{bad}:2: not JSON" in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    unknown = _invoke("runs", "rescore", "nope", "-s", "refusal", "--runs-dir", str(tmp_path))
    assert unknown.exit_code == 2
