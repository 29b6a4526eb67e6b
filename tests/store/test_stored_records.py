"""StoredRecords: reading back only chosen records, and lines that only json reads."""

from __future__ import annotations

import pytest

from redline.core import Attempt, ConfigError, RunInfo
from redline.store import RunStore, iter_jsonl


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
