"""`redline scan` options: the shared target syntax, clean errors for bad values,
and what it says before and after a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app

runner = CliRunner()


def test_target_short_form_openai_model(tmp_path, start_stub):
    # `targets check openai:MODEL` accepted this form; `scan` said "unknown target".
    stub = start_stub()
    result = runner.invoke(
        app,
        [
            "scan", "-t", "openai:stub", "--base-url", stub.base_url, "--suite", "demo",
            "--limit", "2", "--runs-dir", str(tmp_path), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["targets"] == ["openai:stub"]
    assert stub.stats()["requests"] >= 2


def test_model_flag_overrides_only_the_model_of_a_campaign_file(tmp_path):
    campaign = tmp_path / "c.yaml"
    campaign.write_text("target:\n  kind: openai\n  model: a\n  base_url: http://h/v1\n")
    result = runner.invoke(
        app, ["scan", str(campaign), "--model", "b", "--dry-run", "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    conflict = runner.invoke(
        app, ["scan", "-t", "openai:a", "--model", "b", "--dry-run", "--runs-dir", str(tmp_path)]
    )
    assert conflict.exit_code == 2 and "name different models" in conflict.output


def test_misspelt_kind_in_a_campaign_file_names_file_and_line(tmp_path):
    campaign = tmp_path / "c.yaml"
    campaign.write_text("suites: [demo]\ntarget:\n  kind: opneai\n  model: x\n")
    result = runner.invoke(app, ["scan", str(campaign), "--dry-run", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{campaign}:3: target.kind: unknown target 'opneai'. Did you mean 'openai'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--epochs", "0"), ("--temperature", "-1"), ("--max-new-tokens", "0"), ("--limit", "0")],
)
def test_out_of_range_values_are_one_clean_line(tmp_path, flag, value):
    result = runner.invoke(
        app, ["scan", "--suite", "demo", "--dry-run", flag, value, "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert flag in result.stderr
    assert "pydantic" not in result.stderr and "validation error" not in result.stderr


def test_bad_temperature_in_a_campaign_file_names_the_line(tmp_path):
    campaign = tmp_path / "c.yaml"
    campaign.write_text("suites: [demo]\ngeneration:\n  temperature: -0.5\n")
    result = runner.invoke(app, ["scan", str(campaign), "--dry-run", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{campaign}:3: generation.temperature" in result.stderr


def test_scan_on_the_bundled_model_says_how_long_first(tmp_path):
    # A missing model file stops the run after the estimate, so nothing is generated.
    result = runner.invoke(
        app,
        ["scan", "--model-path", str(tmp_path / "none.gguf"), "--runs-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "requests to the bundled model on this CPU: up to about" in lines[0]
    assert "--limit 20" in lines[0]
    assert "none.gguf does not exist" in result.stderr


def test_failed_attacker_is_not_blamed_on_the_target(tmp_path, start_stub):
    stub = start_stub()
    result = runner.invoke(
        app,
        [
            "scan", "-t", "openai:stub", "--base-url", stub.base_url, "--suite", "demo",
            "--limit", "1", "--attacks", "context.translate", "--attacker",
            f"python:{Path(__file__).parent / 'failing_attacker.py'}:fail",
            "--runs-dir", str(tmp_path), "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "attacker_error" in result.stderr
    assert "the attack's own model" in result.stderr
    assert "is the target reachable" not in result.stderr


def _dry_run_requests(tmp_path: Path, *attacks: str) -> int:
    args = ["scan", "--suite", "demo", "--dry-run", "--runs-dir", str(tmp_path)]
    for value in attacks:
        args += ["--attacks", value]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.split("would send ")[1].split()[0])


def test_attacks_given_twice_add_up(tmp_path):
    # A second --attacks used to replace the first without a word.
    one = _dry_run_requests(tmp_path, "base64")
    assert _dry_run_requests(tmp_path, "base64", "rot13") == 2 * one
    assert _dry_run_requests(tmp_path, "base64", "rot13") == _dry_run_requests(
        tmp_path, "base64,rot13"
    )


def test_an_empty_attacks_value_is_one_clean_line(tmp_path):
    result = runner.invoke(
        app,
        ["scan", "--suite", "demo", "--dry-run", "--attacks", "base64", "--attacks", "",
         "--runs-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--attacks" in result.stderr and "empty chain" in result.stderr
