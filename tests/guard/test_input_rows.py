from __future__ import annotations

import pytest

from redline.core import ConfigError
from redline.guard.input_rows import GuardRow, check_rows, read_rows


def test_rows_of_jsonl_by_side(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "t", "text": "a", "prompt": "q"}\n\n{"prompt": "p", "response": "r"}\n')
    assert check_rows(path, "input") == 2
    assert list(read_rows(path, "input")) == [
        GuardRow(1, "t", "a", None),
        GuardRow(3, "3", "p", None),
    ]
    # The output side checks the response and keeps the prompt it answered.
    assert list(read_rows(path, "output")) == [
        GuardRow(1, "t", "a", "q"),
        GuardRow(3, "3", "r", "p"),
    ]


def test_rows_of_csv(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("prompt,response\nhi,there\n")
    assert check_rows(path, "output") == 1
    assert list(read_rows(path, "output")) == [GuardRow(2, "2", "there", "hi")]


def test_bad_rows_reject_the_file(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'"just a string"\n{"response": "r"}\n')
    with pytest.raises(ConfigError) as error:
        check_rows(path, "input")
    assert f"{path}:1: not a JSON object" in str(error.value)
    assert f"{path}:2: missing field 'text' or 'prompt'" in str(error.value)
    with pytest.raises(ConfigError, match="file not found"):
        check_rows(tmp_path / "none.jsonl", "input")
