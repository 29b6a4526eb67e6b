from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from redline.core import ConfigError, RunInfo
from redline.engine import EngineStats
from redline.store import RunStore, default_runs_dir, new_run_id


def test_run_ids_are_readable_and_sort_by_time():
    early = new_run_id(datetime(2026, 11, 29, 12, 5, 1, tzinfo=UTC))
    late = new_run_id(datetime(2026, 11, 29, 12, 5, 2, tzinfo=UTC))
    assert re.fullmatch(r"20261129-120501-[0-9a-f]{6}", early)
    assert early < late
    assert new_run_id() != new_run_id()


def test_default_runs_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("REDLINE_RUNS_DIR", raising=False)
    assert str(default_runs_dir()) == "runs"
    monkeypatch.setenv("REDLINE_RUNS_DIR", str(tmp_path))
    assert default_runs_dir() == tmp_path
    assert RunStore().root == tmp_path


def test_round_trip(tmp_path, make_attempt, make_score):
    store = RunStore(tmp_path)
    info = RunInfo(id=new_run_id(), config={"config_hash": "abc", "target": "fake"})
    attempts = [make_attempt(i, run_id=info.id) for i in range(3)]
    scores = [make_score(a.id) for a in attempts]
    with store.create(info) as run:
        for a in attempts:
            run.append_attempt(a)
        for s in scores:
            run.append_score(s)
        stats = EngineStats(requests_sent=3, completed=3)
        run.update(status="completed", counts={"attempts": 3}, engine_stats=stats)
    on_disk = json.loads((tmp_path / info.id / "run.json").read_text())
    assert on_disk["status"] == "completed" and on_disk["engine_stats"]["requests_sent"] == 3
    assert not list((tmp_path / info.id).glob(".*tmp"))  # the atomic write cleaned up

    reopened = store.open(info.id)
    assert reopened.info.status == "completed"
    assert reopened.info.counts == {"attempts": 3}
    assert reopened.read_attempts() == attempts
    assert reopened.read_scores() == scores
    assert reopened.completed_attempt_ids() == {"a0", "a1", "a2"}
    assert reopened.record_counts() == {"attempts": 3, "errors": 0, "scores": 3}


def test_update_refuses_a_bad_status(tmp_path):
    run = RunStore(tmp_path).create(RunInfo(id="r1"))
    with pytest.raises(ValueError, match="status"):
        run.update(status="exploded")  # type: ignore[arg-type]


def test_create_refuses_an_existing_id(tmp_path):
    store = RunStore(tmp_path)
    store.create(RunInfo(id="r1"))
    with pytest.raises(ConfigError, match="already exists"):
        store.create(RunInfo(id="r1"))


def test_dedupe_on_read_last_record_wins(tmp_path, make_attempt, make_score):
    run = RunStore(tmp_path).create(RunInfo(id="r1"))
    run.append_attempt(make_attempt(1, error="transient"))
    run.append_attempt(make_attempt(2))
    run.append_attempt(make_attempt(3))
    run.append_attempt(make_attempt(1, response="second try"))  # resume fixed it
    run.append_attempt(make_attempt(3, error="timeout"))  # and this one broke
    run.append_score(make_score("a1", label="complied", value=0.0))
    run.append_score(make_score("a1", label="refused", value=1.0))
    run.append_score(make_score("a1", scorer="harm", label="harmless", value=0.0))
    attempts = {a.id: a for a in run.read_attempts()}
    assert list(attempts) == ["a1", "a2", "a3"]
    assert attempts["a1"].response == "second try" and attempts["a1"].error is None
    assert attempts["a3"].error is not None
    assert run.completed_attempt_ids() == {"a1", "a2"}
    scores = {(s.attempt_id, s.scorer): s.label for s in run.read_scores()}
    assert scores == {("a1", "refusal"): "refused", ("a1", "harm"): "harmless"}
    assert run.record_counts() == {"attempts": 3, "errors": 1, "scores": 2}


def test_list_is_newest_first_and_find_returns_latest_match(tmp_path):
    store = RunStore(tmp_path)
    store.create(
        RunInfo(
            id="20260101-000000-aaaaaa",
            created_at="2026-01-01T00:00:00+00:00",
            config={"config_hash": "h1"},
        )
    )
    store.create(
        RunInfo(
            id="20260102-000000-bbbbbb",
            created_at="2026-01-02T00:00:00+00:00",
            config={"config_hash": "h1"},
        )
    )
    store.create(
        RunInfo(
            id="20260103-000000-cccccc",
            created_at="2026-01-03T00:00:00+00:00",
            config={"config_hash": "h2"},
        )
    )
    (tmp_path / "not-a-run").mkdir()
    assert [i.id for i in store.list()] == [
        "20260103-000000-cccccc",
        "20260102-000000-bbbbbb",
        "20260101-000000-aaaaaa",
    ]
    found = store.find("h1")
    assert found is not None and found.id == "20260102-000000-bbbbbb"
    assert store.find("nope") is None
    assert RunStore(tmp_path / "missing").list() == []


def test_open_by_unique_prefix_and_unknown_ids_list_near_ones(tmp_path):
    store = RunStore(tmp_path)
    store.create(RunInfo(id="20260101-000000-aaaaaa"))
    store.create(RunInfo(id="20260101-000000-abbbbb"))
    assert store.open("20260101-000000-ab").id == "20260101-000000-abbbbb"
    with pytest.raises(ConfigError, match="ambiguous"):
        store.open("20260101-000000-a")
    with pytest.raises(ConfigError, match="nearest: 20260101-000000-aaaaaa"):
        store.open("20260101-000000-aaaaab")
    with pytest.raises(ConfigError, match="invalid run id"):
        store.open("../etc")
    with pytest.raises(ConfigError, match="has no runs"):
        RunStore(tmp_path / "empty").open("x")


def test_broken_run_json_names_the_file_and_field(tmp_path):
    store = RunStore(tmp_path)
    store.create(RunInfo(id="r1"))
    (tmp_path / "r1" / "run.json").write_text('{"id": "r1", "status": "weird"}')
    with pytest.raises(ConfigError, match=r"r1/run.json: field status"):
        store.open("r1")


def test_invalid_record_names_file_line_and_field(tmp_path, make_attempt):
    run = RunStore(tmp_path).create(RunInfo(id="r1"))
    run.append_attempt(make_attempt(1))
    run.close()
    with run.attempts_path.open("a") as f:
        f.write(json.dumps({"id": "a2", "run_id": "r1"}) + "\n")
    with pytest.raises(ConfigError, match=r"attempts.jsonl:2: field behavior_id"):
        run.read_attempts()


def _lines(path) -> int:
    """Lines another reader of the file sees (what the OS has, not the writer's buffer)."""
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_in_an_event_loop_records_are_flushed_once_per_iteration_attempts_first(
    tmp_path, make_attempt, make_score
):
    import asyncio

    store = RunStore(tmp_path)
    info = RunInfo(id=new_run_id(), config={})
    seen: dict[str, tuple[int, int]] = {}

    async def write() -> None:
        with store.create(info) as run:
            # A score, then two attempts, in one iteration: nothing reaches the
            # OS before the iteration's flush.
            run.append_score(make_score("a0"))
            run.append_attempt(make_attempt(0, run_id=info.id))
            run.append_attempt(make_attempt(1, run_id=info.id))
            seen["before"] = (_lines(run.attempts_path), _lines(run.scores_path))
            await asyncio.sleep(0)  # one loop iteration: the scheduled flush runs
            seen["after"] = (_lines(run.attempts_path), _lines(run.scores_path))
            run.append_attempt(make_attempt(2, run_id=info.id))
            # A read through the handle flushes first: it sees its own writes.
            seen["read"] = (len(run.read_attempts()), _lines(run.attempts_path))

    asyncio.run(write())
    assert seen["before"] == (0, 0)
    assert seen["after"] == (2, 1)
    assert seen["read"] == (3, 3)


def test_attempts_written_before_a_score_reach_the_os_before_it(tmp_path, make_attempt, make_score):
    import asyncio

    store = RunStore(tmp_path)
    info = RunInfo(id=new_run_id(), config={})
    seen: list[int] = []

    async def write() -> None:
        with store.create(info) as run:
            run.append_attempt(make_attempt(0, run_id=info.id))
            run.append_score(make_score("a0"))  # may reach disk before the tick ends
            seen.append(_lines(run.attempts_path))

    asyncio.run(write())
    assert seen == [1]


def test_a_flush_left_by_a_stopped_loop_does_not_block_the_next_loops(tmp_path, make_attempt):
    import asyncio

    store = RunStore(tmp_path)
    info = RunInfo(id=new_run_id(), config={})
    run = store.create(info)

    async def append(index: int) -> None:
        run.append_attempt(make_attempt(index, run_id=info.id))  # the loop ends before its flush

    asyncio.run(append(0))
    asyncio.run(append(1))

    async def append_and_yield(index: int) -> int:
        run.append_attempt(make_attempt(index, run_id=info.id))
        await asyncio.sleep(0)
        return _lines(run.attempts_path)

    assert asyncio.run(append_and_yield(2)) == 3
    run.close()


def test_outside_an_event_loop_each_record_is_flushed_at_once(tmp_path, make_attempt):
    store = RunStore(tmp_path)
    info = RunInfo(id=new_run_id(), config={})
    with store.create(info) as run:
        run.append_attempt(make_attempt(0, run_id=info.id))
        assert _lines(run.attempts_path) == 1
