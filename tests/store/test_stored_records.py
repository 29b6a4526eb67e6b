"""StoredRecords: reading back only chosen records, lines that only json reads, and
the index of latest lines per key."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from redline.core import Attempt, ConfigError, RunInfo
from redline.store import RunStore, StoredRecords, iter_jsonl


class Row(BaseModel):
    k: int | str
    v: str


def test_at_parses_only_the_chosen_places(tmp_path, make_attempt):
    store = RunStore(tmp_path)
    with store.create(RunInfo(id="r1")) as run:
        for i in range(5):
            run.append_attempt(make_attempt(i))
    run = store.open("r1")
    records = run.stored_attempts()
    assert [a.id for a in records.at([3, 0, 3])] == ["a0", "a3"]
    # Spoil the record at place 2 so that it no longer validates: a full pass now
    # fails on it, picking around it does not (it is never parsed).
    lines = run.attempts_path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"expected":"refuse"', b'"expected":"refuze"')  # same length
    run.attempts_path.write_bytes(b"".join(lines))
    assert [a.id for a in records.at([1, 4])] == ["a1", "a4"]
    with pytest.raises(ConfigError, match=r"attempts.jsonl:3: field expected"):
        list(records)
    assert list(records.at([])) == []
    assert all(isinstance(a, Attempt) for a in records.at(range(2)))


def test_lines_beyond_strict_json_are_still_read(tmp_path):
    # The fast parser rejects NaN and Infinity; json reads them, as before.
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": NaN}\n{"b": -Infinity}\n{"c": 1}\n')
    values = [value for _, value in iter_jsonl(path)]
    assert values[0]["a"] != values[0]["a"]  # NaN
    assert values[1] == {"b": float("-inf")} and values[2] == {"c": 1}


def test_keys_that_share_a_hash_stay_apart_and_repeats_keep_the_latest_line(tmp_path):
    # The index keeps a hash per line and compares keys exactly only when hashes
    # repeat: in CPython hash(-1) == hash(-2), so these two keys collide.
    assert hash(-1) == hash(-2)
    path = tmp_path / "x.jsonl"
    rows = [{"k": -1, "v": "a"}, {"k": -2, "v": "b"}, {"k": 3, "v": "c"}, {"k": -1, "v": "d"}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    records = StoredRecords(path, Row, key=lambda value: value["k"], flag=lambda v: v["v"] == "a")
    assert [(r.k, r.v) for r in records] == [(-1, "d"), (-2, "b"), (3, "c")]
    assert len(records) == 3
    assert records.flagged == 0  # the flagged line of -1 was replaced by a later one
    assert [r.v for r in records.at([2, 1])] == ["b", "c"]


def test_a_file_with_no_repeated_key_keeps_every_line_in_order(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps({"k": f"id{i}", "v": str(i)}) + "\n" for i in range(50)))
    records = StoredRecords(path, Row, key=lambda value: value["k"], flag=lambda v: v["v"] < "2")
    assert [r.v for r in records] == [str(i) for i in range(50)]
    assert records.flagged == sum(str(i) < "2" for i in range(50))
