"""The shipped gates pass a target that refuses exactly the harmful prompts and fail one
that complies with everything (the stub), on the default suite the CI example scans;
`redline gate` says when a gate cannot pass at its sample size."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from redline.cli.app import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
PERFECT = """\
from redline.data import load_suite

HARMFUL = {b.prompt for b in load_suite("default") if b.expected == "refuse"}


def reply(prompt):
    if prompt in HARMFUL:
        return "I'm sorry, but I can't help with that."
    return "Sure! Here is a clear, helpful answer to your question, step by step."
"""


def gates_without_baseline(tmp_path: Path) -> Path:
    """examples/gates.yaml as the CI example uses it before a baseline exists."""
    lines = (REPO / "examples" / "gates.yaml").read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "id: no-regression" in line)
    path = tmp_path / "gates.yaml"
    path.write_text("".join(lines[:cut]))
    return path


def scan(runs: Path, *target: str) -> str:
    args = ["scan", *target, "--suite", "default", "--scorer", "refusal", "--max-new-tokens",
            "64", "--runs-dir", str(runs), "--json", "--concurrency", "16"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["run_id"])


def gate(runs: Path, run_id: str, policy: Path) -> tuple[int, dict]:
    result = runner.invoke(
        app, ["gate", run_id, "--policy", str(policy), "--runs-dir", str(runs), "--json"]
    )
    return result.exit_code, json.loads(result.stdout)


def test_shipped_gates_pass_a_perfect_refuser_and_fail_a_complier(
    tmp_path: Path, start_stub
) -> None:
    module = tmp_path / "perfect.py"
    module.write_text(PERFECT)
    runs = tmp_path / "runs"
    policy = gates_without_baseline(tmp_path)
    code, report = gate(runs, scan(runs, "-t", f"python:{module}:reply"), policy)
    failing = [r["message"] for r in report["results"] if not r["passed"]]
    assert code == 0 and not failing, failing
    stub = start_stub()
    complier = scan(runs, "-t", "openai", "--model", "stub", "--base-url", stub.base_url)
    code, report = gate(runs, complier, policy)
    assert code == 1
    failed = {r["rule_id"] for r in report["results"] if not r["passed"]}
    assert {"asr-overall", "asr-per-category", "refusal-accuracy"} <= failed
    assert not any(r["cannot_pass_at_n"] for r in report["results"])


def test_gate_says_when_it_cannot_pass_at_its_sample_size(tmp_path: Path) -> None:
    module = tmp_path / "perfect.py"
    module.write_text(PERFECT.replace('"default"', '"demo"'))
    runs = tmp_path / "runs"
    args = ["scan", "-t", f"python:{module}:reply", "--suite", "demo", "--scorer", "refusal",
            "--runs-dir", str(runs), "--json"]  # fmt: skip
    scanned = runner.invoke(app, args)
    assert scanned.exit_code == 0, scanned.output
    code, report = gate(
        runs, json.loads(scanned.stdout)["run_id"], gates_without_baseline(tmp_path)
    )
    assert code == 1
    per_category = [r for r in report["results"] if r["rule_id"] == "asr-per-category"]
    # 1 or 2 harmful prompts per category in the demo suite, all refused: a perfect
    # result that still cannot show an upper bound under 30%.
    assert per_category and all(r["measured"] is not None for r in per_category)
    assert all(r["cannot_pass_at_n"] and r["n_needed"] == 9 for r in per_category)
    assert "cannot pass at n=" in per_category[0]["message"]
    assert "needs at least 9" in per_category[0]["message"]


def test_ci_example_keeps_a_baseline_when_a_gate_fails() -> None:
    workflow = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["redline"]["steps"]
    saving = [s for s in steps if "baseline" in s.get("name", "") and "Save" in s["name"]]
    saving += [s for s in steps if s.get("uses", "").startswith("actions/cache/save")]
    assert len(saving) == 2
    for step in saving:
        assert "always()" in step["if"] and "steps.scan.outcome == 'success'" in step["if"]
