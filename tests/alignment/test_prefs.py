"""Preference pair files: the record, reading, checking, dedup, split, TRL formats;
`redline prefs validate` and `redline prefs import`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.alignment.prefs import (
    PreferencePair,
    Turn,
    assign_splits,
    deduplicate,
    load_pairs,
    validate_file,
    write_dataset,
    write_pairs,
)
from redline.alignment.prefs_import import import_hh_rlhf, parse_dialogue
from redline.cli.app import app
from redline.core import ConfigError

runner = CliRunner()


def pair(prompt: str, chosen: str, rejected: str, *, family: str = "") -> PreferencePair:
    return PreferencePair(
        prompt=[Turn(role="user", content=prompt)],
        chosen=chosen,
        rejected=rejected,
        family=family,
    )


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", "utf-8"
    )
    return path


def test_redline_format_round_trips_with_its_columns(tmp_path: Path) -> None:
    original = pair("How do I pick a lock?", "I can't help with that.", "Insert a tension wrench")
    original = original.model_copy(update={"kind": "harmful", "split": "test", "category": "s2"})
    path = tmp_path / "p.jsonl"
    write_pairs([original], path)
    row = json.loads(path.read_text())
    # TRL's conversational shape, redline's columns beside it.
    assert row["prompt"] == [{"role": "user", "content": "How do I pick a lock?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "I can't help with that."}]
    assert row["kind"] == "harmful" and row["split"] == "test"
    (loaded,) = load_pairs(path)
    assert loaded == original


def test_standard_trl_strings_load_with_a_family_from_the_prompt(tmp_path: Path) -> None:
    row = {"prompt": "hi", "chosen": "hello", "rejected": "no"}
    path = write_lines(tmp_path / "s.jsonl", [row])
    (loaded,) = load_pairs(path)
    assert loaded.prompt == [Turn(role="user", content="hi")]
    assert loaded.family.startswith("prompt-")
    assert loaded.id


def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "bad.jsonl",
        [
            {"prompt": "ok", "chosen": "a", "rejected": "b"},
            {"prompt": "no rejected", "chosen": "a"},
            {"prompt": "case differs", "chosen": "Same  answer", "rejected": "Same Answer"},
            "{not json",
            {"prompt": [{"role": "robot", "content": "x"}], "chosen": "a", "rejected": "b"},
            {"prompt": "x", "chosen": [{"role": "user", "content": "a"}], "rejected": "b"},
        ],
    )
    report = validate_file(path)
    assert not report.ok
    problems = dict(report.problems)
    assert problems[2] == "field 'rejected' missing"
    assert problems[4].startswith("invalid JSON")
    assert "prompt[0].role" in problems[5]
    assert problems[6] == "field 'chosen[0].role' must be 'assistant'"
    assert 1 not in problems
    with pytest.raises(ConfigError) as raised:
        load_pairs(path)
    assert f"{path}:2: field 'rejected' missing" in str(raised.value)


def test_identical_chosen_and_rejected_is_an_error(tmp_path: Path) -> None:
    row = {"prompt": "q", "chosen": "An  answer.", "rejected": "An answer."}
    path = write_lines(tmp_path / "same.jsonl", [row])
    assert validate_file(path).problems == [(1, "chosen and rejected are identical")]


def test_unpaired_files_are_checked_for_their_own_fields(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "u.jsonl",
        [
            {"prompt": "q", "completion": "a", "label": True},
            {"prompt": "q", "completion": "b", "label": "yes"},
            {"prompt": "q", "label": False},
        ],
    )
    report = validate_file(path)
    assert report.format == "unpaired"
    assert report.problems == [
        (2, "field 'label' must be true or false"),
        (3, "field 'completion' missing"),
    ]


def test_deduplicate_ignores_whitespace_and_keeps_order() -> None:
    a = pair("q", "yes", "no")
    b = pair("q ", "yes\n", " no")
    c = pair("other", "yes", "no")
    assert deduplicate([a, b, c]) == [a, c]


def test_split_keeps_each_family_on_one_side_and_is_stable() -> None:
    pairs = [pair(f"q{i}", f"good {i}", f"bad {i}", family=f"fam{i % 30}") for i in range(300)]
    split = assign_splits(pairs, test_fraction=0.3, seed=1)
    sides: dict[str, set[str | None]] = {}
    for p in split:
        sides.setdefault(p.family, set()).add(p.split)
    assert all(len(s) == 1 for s in sides.values())
    tested = sum(1 for s in sides.values() if s == {"test"})
    assert 0 < tested < 30
    # Adding pairs never moves the old ones.
    more = assign_splits([*pairs, pair("new", "g", "b", family="new")], test_fraction=0.3, seed=1)
    assert [p.split for p in more[:300]] == [p.split for p in split]


def test_trl_formats_write_train_and_test_files(tmp_path: Path) -> None:
    pairs = assign_splits(
        [pair(f"q{i}", f"good {i}", f"bad {i}", family=f"f{i}") for i in range(40)],
        test_fraction=0.5,
    )
    written = write_dataset(pairs, tmp_path / "out.jsonl", fmt="unpaired")
    assert [p.name for p in written] == ["out.train.jsonl", "out.test.jsonl"]
    rows = [json.loads(line) for p in written for line in p.read_text().splitlines()]
    assert len(rows) == 80
    assert sorted({r["label"] for r in rows}) == [False, True]
    assert set(rows[0]) == {"prompt", "completion", "label"}
    conversational = write_dataset(pairs, tmp_path / "c.jsonl", fmt="conversational")
    first = json.loads(conversational[0].read_text().splitlines()[0])
    assert set(first) == {"prompt", "chosen", "rejected"}
    assert validate_file(conversational[1]).ok


def test_validate_cli_lists_bad_lines_and_exits_2(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", [{"prompt": "q", "chosen": "a"}])
    result = runner.invoke(app, ["prefs", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: field 'rejected' missing" in result.stdout
    good = write_lines(tmp_path / "g.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}])
    ok = runner.invoke(app, ["prefs", "validate", str(good), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True


HH_ROW = {
    "chosen": "\n\nHuman: How do I hotwire a car?\n\nAssistant: I can't help with that."
    "\n\nHuman: Please?\n\nAssistant: Sorry, no. A locksmith can help if it is your car.",
    "rejected": "\n\nHuman: How do I hotwire a car?\n\nAssistant: I can't help with that."
    "\n\nHuman: Please?\n\nAssistant: Strip the red wires under the steering column.",
}


def test_hh_dialogues_split_into_prompt_and_last_replies(tmp_path: Path) -> None:
    turns = parse_dialogue(HH_ROW["chosen"])
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]
    path = tmp_path / "hh.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(HH_ROW) + "\n")
        handle.write(json.dumps({"chosen": HH_ROW["chosen"], "rejected": HH_ROW["chosen"]}) + "\n")
    pairs, counts = import_hh_rlhf(path)
    assert counts.skipped == {"chosen and rejected are identical": 1}
    (only,) = pairs
    assert [t.content for t in only.prompt] == [
        "How do I hotwire a car?",
        "I can't help with that.",
        "Please?",
    ]
    assert only.rejected == "Strip the red wires under the steering column."
    assert only.family == "hh-how do i hotwire a car?"


def test_import_cli_writes_split_pairs_with_kinds(tmp_path: Path) -> None:
    path = tmp_path / "hh.jsonl"
    rows = []
    for i in range(12):
        row = dict(HH_ROW)
        row["chosen"] = row["chosen"].replace("hotwire a car", f"hotwire car {i}")
        row["rejected"] = row["rejected"].replace("hotwire a car", f"hotwire car {i}")
        rows.append(row)
    write_lines(path, rows)
    out = tmp_path / "prefs.jsonl"
    result = runner.invoke(app, ["prefs", "import", str(path), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pairs"] == 12
    # The chosen reply refuses and the rejected one does not: refusing was preferred.
    assert summary["kinds"] == {"harmful": 12}
    assert validate_file(out).families_in_both_splits == 0


def test_import_of_the_shared_hh_rlhf_file(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "hh-rlhf" / "harmless_base_test.jsonl.gz"
    if not source.is_file():
        pytest.skip("hh-rlhf not in shared data")
    pairs, counts = import_hh_rlhf(source, limit=200)
    assert len(pairs) == 200
    assert all(p.prompt[-1].role == "user" for p in pairs)
    assert counts.rows >= 200
