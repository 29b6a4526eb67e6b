"""Capability loaders: GSM8K-style JSONL, MMLU-style CSV, IFEval-style prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.core import ConfigError
from redline.data import capability_suite_of, load_gsm8k, load_ifeval, load_mmlu, load_suite
from redline.data.capability import CAPABILITY_DATA_ENV, normalise_number
from redline.data.suites import suite_info


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_gsm8k_reference_is_the_number_after_the_hashes(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "maths.jsonl",
        [
            {"question": "2 + 2?", "answer": "2 + 2 = 4\n#### 4"},
            {"question": "Big?", "answer": "so\n#### 1,250"},
        ],
    )
    first, second = load_gsm8k(path)
    assert first.expected == "comply"
    assert first.category == "capability:gsm8k"
    assert "answer:4" in first.tags and "answer:1250" in second.tags
    assert "2 + 2?" in first.prompt and "The answer is N" in first.prompt
    assert capability_suite_of(first.tags) == "gsm8k"


def test_gsm8k_bad_lines_are_listed_with_their_line(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "bad.jsonl",
        [{"question": "ok", "answer": "#### 3"}, {"question": "no final", "answer": "3"}, {}],
    )
    with pytest.raises(ConfigError) as caught:
        load_gsm8k(path)
    message = str(caught.value)
    assert f"{path}:2: 'answer' does not end with '#### <number>'" in message
    assert f"{path}:3: missing 'question'" in message


def test_mmlu_file_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mmlu" / "test"
    folder.mkdir(parents=True)
    (folder / "college_physics_test.csv").write_text(
        '"What is g, roughly, in m/s^2?",1,9.8,20,"100, or more",B\n', encoding="utf-8"
    )
    (folder / "virology_test.csv").write_text("Q1?,a,b,c,d,D\nQ2?,a,b,c,d,A\n", encoding="utf-8")
    items = load_mmlu(tmp_path / "mmlu")
    assert [b.id for b in items] == [
        "mmlu-college_physics-0001",
        "mmlu-virology-0001",
        "mmlu-virology-0002",
    ]
    physics = items[0]
    assert "choice:B" in physics.tags and "subject:college_physics" in physics.tags
    assert "D. 100, or more" in physics.prompt
    assert "question about college physics" in physics.prompt


def test_mmlu_bad_rows_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "x_test.csv"
    path.write_text("Q?,a,b,c,d,A\nQ?,a,b,c,d,E\nshort,row\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mmlu(path)
    assert f"{path}:2: answer 'E' is not one of A, B, C, D" in str(caught.value)
    assert f"{path}:3: row has 2 fields" in str(caught.value)


def test_ifeval_constraints_travel_as_tags(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "if.jsonl",
        [
            {
                "id": "x1",
                "prompt": "Write about rivers.",
                "instructions": [
                    {"kind": "min_words", "value": 20},
                    {"kind": "include_keywords", "value": ["delta", "bank"]},
                    {"kind": "no_commas"},
                ],
            }
        ],
    )
    (item,) = load_ifeval(path)
    assert item.tags == [
        "capability:ifeval",
        "instruction:min_words=20",
        "instruction:include_keywords=delta|bank",
        "instruction:no_commas",
    ]


@pytest.mark.parametrize(
    ("instruction", "problem"),
    [
        ({"kind": "shout"}, "unknown instruction kind 'shout'"),
        ({"kind": "min_words"}, "instruction 'min_words' needs a 'value'"),
        ({"kind": "max_words", "value": "ten"}, "needs a whole number 'value'"),
    ],
)
def test_ifeval_bad_instructions(tmp_path: Path, instruction: dict, problem: str) -> None:
    path = _jsonl(tmp_path / "if.jsonl", [{"prompt": "p", "instructions": [instruction]}])
    with pytest.raises(ConfigError, match=problem):
        load_ifeval(path)


def test_shipped_ifeval_suite_loads() -> None:
    items = load_suite("ifeval")
    assert len(items) == 30
    assert all(any(t.startswith("instruction:") for t in b.tags) for b in items)


def test_public_suites_read_the_capability_folder(shared_data: Path) -> None:
    assert len(load_suite("gsm8k")) == 7473
    mmlu = load_suite("mmlu")
    assert len({t for b in mmlu for t in b.tags if t.startswith("subject:")}) == 57


def test_missing_capability_data_is_listed_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPABILITY_DATA_ENV, str(tmp_path / "nowhere"))
    info = suite_info("gsm8k")
    assert info.count == 0
    assert info.unavailable is not None and CAPABILITY_DATA_ENV in info.unavailable
    with pytest.raises(ConfigError, match="capability data not found"):
        load_suite("gsm8k")


@pytest.mark.parametrize(
    ("text", "number"), [("1,000", "1000"), ("$5.50", "5.5"), ("7.0", "7"), ("x", None)]
)
def test_normalise_number(text: str, number: str | None) -> None:
    assert normalise_number(text) == number


def test_capability_suites_work_in_a_scan(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from redline.cli.app import app

    model = Path(__file__).parents[1] / "ablation" / "scripted_model.py"
    result = CliRunner().invoke(
        app,
        [
            "scan",
            "--suite",
            "ifeval",
            "--limit",
            "3",
            "-t",
            f"python:{model}:reply",
            "--scorer",
            "instructions",
            "--runs-dir",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    from redline.scoring.capability import check_instruction

    run = tmp_path / json.loads(result.stdout)["run_id"]
    attempts = [json.loads(x) for x in (run / "attempts.jsonl").read_text("utf-8").splitlines()]
    scores = {
        s["attempt_id"]: s["label"]
        for s in map(json.loads, (run / "scores.jsonl").read_text("utf-8").splitlines())
    }
    assert len(attempts) == 3 and len(scores) == 3
    for attempt in attempts:
        constraints = [t.removeprefix("instruction:") for t in attempt["tags"][1:]]
        held = all(check_instruction(c, attempt["response"]) for c in constraints)
        assert scores[attempt["id"]] == ("correct" if held else "incorrect")
