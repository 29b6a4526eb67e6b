from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.cli.app import app

runner = CliRunner()
JUDGE = Path(__file__).parent / "scripted_judge.py"


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_score_command(tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "x", "prompt": "p", "response": "I cannot help with that."},
            {"prompt": "p", "response": "Sure: here are the steps. First, open the box."},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["score", "--scorer", "refusal", "--input", str(src), "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["scored"] == 2
    assert summary["labels"] == {"full_compliance": 1, "full_refusal": 1}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["id"] == "x" and rows[0]["label"] == "full_refusal" and rows[0]["rationale"]


def test_score_rejects_a_file_with_bad_lines(tmp_path):
    # The one policy for input files: name every bad line, score nothing, exit 2.
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "x", "prompt": "p", "response": "I cannot help with that."},
            "{broken",
            {"prompt": "p"},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "--input", str(src), "-o", str(out), "--json"])
    assert result.exit_code == 2, result.output
    assert "in.jsonl:2: invalid JSON" in result.stderr
    assert "in.jsonl:3: field 'response'" in result.stderr
    assert result.stdout == "" and not out.exists()


def test_score_with_judge(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"prompt": "p", "response": "Step 1: do it."}])
    result = runner.invoke(
        app,
        [
            "score",
            "--scorer",
            "strongreject",
            "--judge",
            f"python:{JUDGE}:strongreject_by_content",
            "--input",
            str(src),
        ],
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip().splitlines()[0])
    assert row["label"] == "harmful" and row["raw_output"].startswith("#refused: 0")


def test_score_errors(tmp_path):
    result = runner.invoke(app, ["score", "--input", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output
    src = write_jsonl(tmp_path / "in.jsonl", [{"response": "x"}])
    result = runner.invoke(app, ["score", "--scorer", "strongreject", "--input", str(src)])
    assert result.exit_code == 2 and "--judge" in result.output


def test_judge_calibrate_and_report(tmp_path):
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [{"prompt": "p", "response": "I cannot help with that.", "human_label": "full_refusal"}] * 6
        + [
            {
                "prompt": "p",
                "response": "Sure. Step 1: open the valve. Step 2: wait.",
                "human_label": "full_compliance",
                "category": "s2",
            }
        ]
        * 6,
    )
    calib = tmp_path / "calib.json"
    result = runner.invoke(
        app,
        ["judge", "calibrate", "--labels", str(labels), "-o", str(calib), "--json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["n"] == 12 and doc["kappa"] == 1.0 and doc["positive_labels"] == ["full_compliance"]
    assert json.loads(calib.read_text())["overall"]["tp"] == 6
    bad = write_jsonl(
        tmp_path / "bad.jsonl", [{"response": "x", "human_label": "refused"}, {"response": "y"}]
    )
    result = runner.invoke(app, ["judge", "calibrate", "--labels", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:2: field 'human_label'" in result.output


def test_judge_calibrate_unknown_labels(tmp_path):
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [{"response": "x", "human_label": "refused"}, {"response": "y", "label": "complied"}],
    )
    result = runner.invoke(app, ["judge", "calibrate", "--labels", str(bad)])
    assert result.exit_code == 2
    assert "'refused' (lines 1)" in result.output and "'complied' (lines 2)" in result.output


def test_report_with_calibration(tmp_path, start_stub):
    stub = start_stub()
    runs = tmp_path / "runs"
    prompts = write_jsonl(
        tmp_path / "prompts.jsonl",
        [
            {"id": f"h{i}", "prompt": f"do bad thing {i}" + (" [refuse]" if i % 2 else "")}
            for i in range(6)
        ],
    )
    env = {"OPENAI_API_KEY": "test"}
    args = ["scan", "--target", "openai", "--model", "stub", "--base-url", stub.base_url,
            "--prompts", str(prompts), "--runs-dir", str(runs), "--no-progress"]  # fmt: skip
    scan = runner.invoke(app, args, env=env)
    assert scan.exit_code == 0, scan.output
    run_id = scan.output.strip().splitlines()[-1]
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [{"response": "I cannot help with that.", "human_label": "full_refusal"}] * 9
        + [{"response": "Sure: do it", "human_label": "full_refusal"}]
        + [{"response": "Sure: Step 1, mix.", "human_label": "full_compliance"}] * 10,
    )
    calib = tmp_path / "calib.json"
    assert (
        runner.invoke(
            app, ["judge", "calibrate", "--labels", str(labels), "-o", str(calib)]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["report", run_id, "--runs-dir", str(runs), "--calibration", str(calib), "--json"]
    )
    assert result.exit_code == 0, result.output
    correction = json.loads(result.stdout)["summary"]["judge_correction"]
    assert correction["overall"]["observed"]["estimate"] == 0.5
    assert correction["overall"]["corrected"]["estimate"] < 0.5  # 1 of 10 refusals flagged
    text = runner.invoke(
        app, ["report", run_id, "--runs-dir", str(runs), "--calibration", str(calib)]
    )
    assert "ASR corrected for judge error" in text.stdout


def test_train_refusal_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        result = runner.invoke(
            app, ["train", "refusal", "--no-public-data", "--out", str(out), "--json"]
        )
        assert result.exit_code == 0, result.output
    assert (a / "weights.npz").read_bytes() == (b / "weights.npz").read_bytes()
    assert "NOT trained on" in (a / "CARD.md").read_text()
