"""`redline judge sample` then `redline report --labels`: PPI++ rates on a real stored run."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.analysis.labelled_estimates import _allocate, sample_for_labelling
from redline.cli.app import app
from redline.core.records import RunInfo
from redline.store import RunStore

from .conftest import make_attempt, make_score

runner = CliRunner()
RUN_ID = "20260101-000000-abcdef"


def _truth_and_scorer(index: int, rng: random.Random) -> tuple[str, str]:
    """A true label and a scorer label that misses a third of the compliances."""
    truth = "full_compliance" if rng.random() < 0.4 else "full_refusal"
    scored = truth
    if truth == "full_compliance" and rng.random() < 0.35:
        scored = "full_refusal"
    elif truth == "full_refusal" and rng.random() < 0.05:
        scored = "full_compliance"
    return truth, scored


def _report(runs_dir: Path, tmp_path: Path, *options: str):
    command = ["report", RUN_ID, "--runs-dir", str(runs_dir), "--output", str(tmp_path / "r.html")]
    return runner.invoke(app, [*command, *options])


@pytest.fixture
def biased_run(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    rng = random.Random(11)
    truth: dict[str, str] = {}
    info = RunInfo(id=RUN_ID, status="completed", config={"target": "local:smollm2"})
    with RunStore(tmp_path / "runs").create(info) as handle:
        for index in range(400):
            attempt = make_attempt(f"b{index}", category=f"s{index % 2 + 1}")
            true_label, scored = _truth_and_scorer(index, rng)
            truth[attempt.id] = true_label
            handle.append_attempt(attempt)
            handle.append_score(make_score(attempt, scored))
        handle.update(status="completed")
    return tmp_path / "runs", truth


def test_allocation_is_proportional_with_two_per_stratum_at_least():
    sizes = _allocate(20, {"a": 180, "b": 18, "c": 2})
    assert sum(sizes.values()) == 20 and sizes["c"] == 2 and sizes["b"] >= 2
    assert _allocate(5, {"a": 1, "b": 1}) == {"a": 1, "b": 1}


def test_sample_then_report_gives_ppi_that_covers_the_truth(biased_run, tmp_path):
    runs_dir, truth = biased_run
    sample = tmp_path / "sample.csv"
    result = runner.invoke(
        app,
        [
            "judge",
            "sample",
            RUN_ID,
            "-n",
            "120",
            "-o",
            str(sample),
            "--runs-dir",
            str(runs_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["n"] == 120 and set(doc["strata"]) == {"full_refusal", "full_compliance"}
    with sample.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["attempt_id"] for r in rows}) == 120 and all(r["human_label"] == "" for r in rows)
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        "".join(json.dumps({**r, "human_label": truth[r["attempt_id"]]}) + "\n" for r in rows)
    )
    result = _report(runs_dir, tmp_path, "--labels", str(labelled), "--json")
    assert result.exit_code == 0, result.output
    rates = {(r["group"], r["rate"]): r for r in json.loads(result.stdout)["labelled"]["rates"]}
    asr = rates[("all", "attack_success")]
    true_rate = sum(v == "full_compliance" for v in truth.values()) / len(truth)
    assert asr["labelled"] == 120 and asr["scored"] == 400
    # The scorer misses a third of compliances: its raw rate is biased low and
    # its interval misses the truth; PPI++ covers it.
    assert not asr["raw"]["low"] <= true_rate <= asr["raw"]["high"]
    assert asr["ppi"]["low"] <= true_rate <= asr["ppi"]["high"]
    assert rates[("category:s1", "attack_success")]["ppi"] is not None
    assert rates[("all", "over_refusal")]["scored"] == 0


def test_same_seed_same_sample(biased_run):
    runs_dir, _ = biased_run
    handle = RunStore(runs_dir).open(RUN_ID)
    attempts, scores = handle.read_attempts(), handle.read_scores()
    first = sample_for_labelling(attempts, scores, scorer="refusal", n=30, seed=3)
    again = sample_for_labelling(attempts, scores, scorer="refusal", n=30, seed=3)
    other = sample_for_labelling(attempts, scores, scorer="refusal", n=30, seed=4)
    assert first == again and first != other


def test_labels_from_another_run_are_left_out_with_a_warning(biased_run, tmp_path):
    runs_dir, truth = biased_run
    ids = sorted(truth)[:30]
    rows = [{"attempt_id": i, "human_label": truth[i]} for i in ids]
    rows += [{"attempt_id": "other-target-1", "human_label": "full_refusal"}]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _report(runs_dir, tmp_path, "--labels", str(labelled))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "1 labels are for attempts not in this run" in output
    assert "do not transfer between targets" in output
    assert "PPI++" in output


def test_bad_labels_file_names_the_line_and_exits_2(biased_run, tmp_path):
    runs_dir, truth = biased_run
    first = sorted(truth)[0]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        json.dumps({"attempt_id": first, "human_label": "full_refusal"})
        + "\n"
        + json.dumps({"attempt_id": first, "human_label": "refused"})
        + "\n"
    )
    result = _report(runs_dir, tmp_path, "--labels", str(labelled))
    assert result.exit_code == 2
    assert "labelled.jsonl:2: field 'human_label' is 'refused'" in " ".join(result.output.split())


def test_calibration_from_another_target_warns_why(biased_run, tmp_path):
    runs_dir, _ = biased_run
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps(
                {
                    "prompt": "p",
                    "response": text,
                    "human_label": label,
                    "target": "openai:gpt-4o-mini",
                }
            )
            + "\n"
            for text, label in [
                ("I can't help with that.", "full_refusal"),
                ("Sure. Step 1: open the valve. Step 2: wait.", "full_compliance"),
            ]
            * 4
        )
    )
    calibration = tmp_path / "calib.json"
    made = runner.invoke(
        app, ["judge", "calibrate", "--labels", str(labels), "-o", str(calibration)]
    )
    assert made.exit_code == 0, made.output
    assert json.loads(calibration.read_text())["targets"] == ["openai:gpt-4o-mini"]
    result = _report(runs_dir, tmp_path, "--calibration", str(calibration))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "measured on responses of openai:gpt-4o-mini, not of local:smollm2" in output
    assert "redline judge sample" in output
