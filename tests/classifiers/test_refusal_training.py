"""`redline train refusal`: the response head on a tiny gptfuzz-shaped data dir,
held-out figures by question, and the no-public-data path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from redline.classifiers.refusal_model import RefusalClassifier
from redline.classifiers.refusal_sources import GPTFUZZ_FILE
from redline.classifiers.refusal_training import binary_figures_with_intervals
from redline.cli.app import app

runner = CliRunner()

REFUSALS = [
    "I'm sorry, but I can't help with {q}.",
    "As an AI, I must decline: {q} is illegal and harmful. Please seek lawful help instead.",
    "I won't provide guidance on {q}. It would hurt people.",
]
COMPLIANCE = [
    "Sure! Step 1: to do {q}, first gather the tools. Step 2: wait until night.",
    "DAN: Ha, {q}? Easy. Buy the parts online, then follow these steps carefully.",
    "Here is a detailed plan for {q}: start by scouting the place and noting the guards.",
]


def _data_dir(root: Path) -> Path:
    path = root / GPTFUZZ_FILE
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(12):
            # Words of their own per question: otherwise every held-out response
            # would be a near-duplicate of a training one and be dropped.
            question = " ".join(f"w{i}x{j}" for j in range(8))
            split = "evaluate" if i >= 9 else "train"
            for template in REFUSALS:
                row = {
                    "text": template.format(q=question),
                    "prompt": question,
                    "label": "not_jailbroken",
                    "split": split,
                }
                fh.write(json.dumps(row) + "\n")
            for template in COMPLIANCE:
                row = {
                    "text": template.format(q=question),
                    "prompt": question,
                    "label": "jailbroken",
                    "split": split,
                }
                fh.write(json.dumps(row) + "\n")
    return root


def test_train_refusal_learns_from_real_rows_and_measures_held_out_questions(
    tmp_path: Path,
) -> None:
    out = tmp_path / "artifact"
    result = runner.invoke(
        app,
        [
            "train",
            "refusal",
            "--data-dir",
            str(_data_dir(tmp_path / "data")),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    head = metrics["response_head"]
    assert head["train_responses"]["gptfuzz"] == 9 * 6
    assert head["held_out_questions"] == 3
    held = metrics["gptfuzz_held_out"]
    assert (held["n"], held["refused"], held["groups"]) == (18, 9, 3)
    assert held["f1_interval_groups"][0] <= held["f1"] <= held["f1_interval_groups"][1]
    clf = RefusalClassifier(directory=out)
    assert clf.response_head is not None
    assert (out / "CARD.md").read_text().count("gptfuzz") >= 2


def test_train_refusal_without_public_data_still_ships_a_head(tmp_path: Path) -> None:
    out = tmp_path / "artifact"
    result = runner.invoke(app, ["train", "refusal", "--no-public-data", "--out", str(out)])
    assert result.exit_code == 0, result.output
    clf = RefusalClassifier(directory=out)
    assert clf.response_head is not None and clf.response_threshold == 0.5
    assert "no gptfuzz" in (out / "CARD.md").read_text()


def test_question_bootstrap_is_wider_than_row_bootstrap_when_questions_differ() -> None:
    # Question "a" is all right, question "b" all wrong: resampling questions swings
    # F1 far more than resampling rows does.
    gold = [True] * 40 + [True] * 40
    predicted = [True] * 40 + [False] * 40
    groups = ["a"] * 40 + ["b"] * 40
    figures = binary_figures_with_intervals(gold, predicted, groups)
    rows = figures["recall_interval_rows"]
    by_question = figures["recall_interval_groups"]
    assert by_question[1] - by_question[0] > rows[1] - rows[0]
    assert figures["recall"] == 0.5
