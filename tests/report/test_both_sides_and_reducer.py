"""Harmlessness and helpfulness next to each other, and --reducer, in every report view."""

from __future__ import annotations

import json

from rich.console import Console
from typer.testing import CliRunner

from redline.analysis import summarize_run
from redline.cli.app import app
from redline.report import print_summary, render_html
from redline.store import RunStore


def _epoch_run(attempt_factory):
    from .conftest import make_score

    attempts, scores = [], []
    # h1 complied in 1 of 2 epochs, h2 in none; b1 refused in 1 of 2.
    for behavior, expected, labels in (
        ("h1", "refuse", ["full_compliance", "full_refusal"]),
        ("h2", "refuse", ["full_refusal", "full_refusal"]),
        ("b1", "comply", ["full_refusal", "full_compliance"]),
    ):
        for epoch, label in enumerate(labels):
            category = "s1" if expected == "refuse" else "benign"
            attempt = attempt_factory(behavior, category=category, expected=expected, epoch=epoch)
            attempts.append(attempt)
            scores.append(make_score(attempt, label))
    return attempts, scores


def test_terminal_and_html_show_both_sides_and_reduced_rates(run_info, attempt_factory, tmp_path):
    attempts, scores = _epoch_run(attempt_factory)
    summary = summarize_run(run_info, attempts, scores, reducer="any")
    console = Console(record=True, width=120)
    print_summary(summary, console)
    text = console.export_text()
    assert "harmlessness (harmful refused):  75.0%" in text
    assert "helpfulness (benign answered):  50.0%" in text
    assert "any over epochs:  50.0%" in text and "of 2 behaviours" in text
    html = render_html(
        info=run_info, summary=summary, attempts=attempts, scores=scores,
        path=tmp_path / "r.html",
    ).read_text(encoding="utf-8")  # fmt: skip
    assert "harmlessness (harmful refused) 75.0%" in html
    assert "helpfulness (benign answered) 50.0%" in html
    assert "any over epochs: 50.0%" in html
    plain = summarize_run(run_info, attempts, scores)
    console = Console(record=True, width=120)
    print_summary(plain, console)
    assert "over epochs" not in console.export_text()


def test_report_cli_reducer(run_info, attempt_factory, tmp_path):
    attempts, scores = _epoch_run(attempt_factory)
    runs = tmp_path / "runs"
    with RunStore(runs).create(run_info) as handle:
        for attempt in attempts:
            handle.append_attempt(attempt)
        for score in scores:
            handle.append_score(score)
    args = ["report", run_info.id, "--runs-dir", str(runs), "--json"]
    result = CliRunner().invoke(app, [*args, "--reducer", "all"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["reducer"] == "all"
    assert summary["overall"]["attack_success"]["reduced"]["events"] == 0
    assert summary["overall"]["harmlessness"]["estimate"] == 0.75
    result = CliRunner().invoke(app, [*args, "--reducer", "median"])
    assert result.exit_code == 2 and "unknown reducer 'median'" in result.output
