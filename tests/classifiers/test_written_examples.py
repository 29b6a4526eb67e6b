"""Our written training examples live in package data files, read with FILE:LINE errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from redline.classifiers.written_examples import examples_dir, grouped, read_rows, texts, written
from redline.core.errors import ConfigError

FILES = sorted(p.stem for p in examples_dir().glob("*.jsonl"))


def test_the_examples_are_data_files_not_python() -> None:
    assert importlib.util.find_spec("redline.classifiers.written_data") is None
    assert {"harmful_content", "jailbreak_templates", "injection_templates"} <= set(FILES)
    assert (examples_dir() / "CARD.md").is_file()


@pytest.mark.parametrize("name", FILES)
def test_every_file_reads_and_has_no_duplicate_text(name: str) -> None:
    rows = written(name)
    assert rows, name
    assert len({r.text for r in rows}) == len(rows)


def test_fields_select_and_group_rows() -> None:
    assert "s11" in grouped("harmful_content", "category")
    assert all("{task}" in t for t in texts("benign_frames", slot="task"))
    assert all("{request" in t for t in texts("jailbreak_templates"))


def test_a_bad_line_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": ""}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: field 'text'"):
        read_rows(path)
    path.write_text('{"text": "fine"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: invalid JSON"):
        read_rows(path)
    path.write_text('{"text": "x", "sensitive": "yes"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:1: field 'sensitive'"):
        read_rows(path)
