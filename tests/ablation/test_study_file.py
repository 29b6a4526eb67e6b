"""Study files: validated with FILE:LINE errors; arms listed or as a product of factors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.ablation import load_study
from redline.ablation.plan import arm_system_prompt, arm_target, plan_study
from redline.cli.app import app
from redline.core import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
name: t
suites:
  - {suite: harmful, limit: 4}
  - {suite: benign, limit: 4}
arms:
  - name: a
  - name: b
    system_prompt: Be careful.
"""


def test_a_valid_study_loads(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, BASE))
    assert [a.name for a in study.all_arms()] == ["a", "b"]
    assert study.baseline_arm() == "a"
    assert [s.study_role for s in study.suites] == ["safety", "over_refusal"]


def test_an_unknown_suite_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("suite: benign", "suite: benigh"))
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    assert str(caught.value).startswith(f"{path}:4: suites.1: ")
    assert "benign" in str(caught.value)  # the closest name is suggested


def test_an_unknown_arm_field_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "    temprature: 0.7\n")
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    assert str(caught.value).startswith(f"{path}:9: arms.1.temprature: unknown field")


def test_a_guard_threshold_for_a_missing_scanner_is_an_error(tmp_path: Path) -> None:
    text = BASE + "    guard: {policy: default, thresholds: {no_such_scanner: 0.3}}\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"study.yaml:\d+: arms.1.guard: .*no_such_scanner"):
        load_study(path)


def test_a_prompts_file_needs_a_role_and_must_exist(tmp_path: Path) -> None:
    missing_role = BASE.replace("{suite: benign, limit: 4}", "{prompts: mine.jsonl}")
    with pytest.raises(ConfigError, match="needs a 'role'"):
        load_study(_write(tmp_path, missing_role))
    missing_file = BASE.replace(
        "{suite: benign, limit: 4}", "{prompts: mine.jsonl, role: over_refusal}"
    )
    path = _write(tmp_path, missing_file)
    with pytest.raises(ConfigError, match=rf"{path}:4: suites.1.prompts: no such file"):
        load_study(path)


def test_factors_make_the_product_of_their_levels(tmp_path: Path) -> None:
    text = """\
name: f
suites: [{suite: harmful}]
factors:
  prompt:
    plain: null
    careful: {system_prompt: Be careful., defensive_instructions: Refuse harm.}
  guard:
    bare: null
    guarded: {guard: default}
"""
    study = load_study(_write(tmp_path, text))
    arms = {a.name: a for a in study.all_arms()}
    assert list(arms) == ["plain+bare", "plain+guarded", "careful+bare", "careful+guarded"]
    careful = arms["careful+guarded"]
    assert arm_system_prompt(study, careful) == "Be careful.\n\nRefuse harm."
    spec = arm_target(study, careful)
    assert spec.kind == "guarded" and spec.system_prompt == "Be careful.\n\nRefuse harm."
    assert spec.options["inner"]["kind"] == "local"
    assert arm_target(study, arms["plain+bare"]).kind == "local"


def test_arms_with_one_configuration_share_a_run(tmp_path: Path) -> None:
    text = BASE + "  - name: c\n    temperature: 0\n"
    study = load_study(_write(tmp_path, text))
    plan = plan_study(study, study_dir=tmp_path / "s")
    hashes = {a.arm.name: a.config_hash for a in plan.arms}
    assert hashes["a"] == hashes["c"] != hashes["b"]
    assert plan.distinct_runs == 2
    # Every arm reads the same prompts file: the paired design.
    assert {tuple(a.campaign.prompts) for a in plan.arms} == {(plan.prompts_file,)}


def test_power_warning_when_the_study_is_too_small(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, BASE + "effects: {harmlessness: 0.1}\n"))
    plan = plan_study(study, study_dir=tmp_path / "s")
    (warning,) = plan.warnings
    assert warning.startswith("safety: 4 prompts, but seeing a change of 10% with 80% power")
    # No effect named: nothing to warn about.
    assert not plan_study(load_study(_write(tmp_path, BASE)), study_dir=tmp_path / "s").warnings


def test_cli_bad_study_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("suite: benign", "suite: nope"))
    result = CliRunner().invoke(app, ["ablate", str(path), "--dry-run"])
    assert result.exit_code == 2
    assert f"{path}:4: suites.1:" in result.stderr


def test_cli_dry_run_counts_and_sends_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        app, ["ablate", str(path), "--dry-run", "--json", "--runs-dir", str(runs), "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["prompts"] == {"harmful": 2, "benign": 2}
    assert [a["requests"] for a in document["arms"]] == [4, 4]
    assert not [p for p in runs.glob("*/run.json")]
