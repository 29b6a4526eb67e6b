from __future__ import annotations

import asyncio
import json

import pytest

from redline.core import ConfigError
from redline.scoring import build_scorer
from redline.scoring.record_files import read_score_records, score_records, scored_record


def test_read_score_records_defaults_id_and_line(tmp_path):
    path = tmp_path / "in.jsonl"
    rows = [json.dumps({"response": "a"}), "", json.dumps({"id": "b", "response": "b"})]
    path.write_text("\n".join(rows))
    records = read_score_records(path)
    assert [(r["id"], r["_line"]) for r in records] == [("line-1", 1), ("b", 3)]


def test_read_score_records_lists_every_bad_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'[1]\n{"response": 3}\n{"response": "ok", "prompt": 2}\n\xff\n')
    with pytest.raises(ConfigError) as error:
        read_score_records(path)
    message = str(error.value)
    assert "4 bad lines, nothing was run" in message
    assert f"{path}:1: expected a JSON object, got list" in message
    assert f"{path}:2: field 'response'" in message
    assert f"{path}:3: field 'prompt' is not a string" in message
    assert f"{path}:4: invalid UTF-8" in message


def test_score_records_keeps_order_and_reports_progress():
    records = [
        {"id": "r", "prompt": "p", "response": "I cannot help with that."},
        {"id": "c", "prompt": "p", "response": "Sure: first, open the box."},
    ]
    done: list[int] = []
    scores = asyncio.run(
        score_records(build_scorer("refusal-patterns"), records, progress=done.append)
    )
    assert [s.label for s in scores] == ["full_refusal", "full_compliance"]
    assert sum(done) == 2
    row = scored_record({**records[0], "_line": 1}, scores[0])
    assert "_line" not in row and row["label"] == "full_refusal" and row["scorer"]
