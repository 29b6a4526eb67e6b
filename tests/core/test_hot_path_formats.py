"""The per-attempt fast paths write exactly what the slower code they replace wrote."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from redline.core import Behavior, GenerationParams
from redline.core.fast_json import dumps_bytes, loads
from redline.core.records import content_hash, utc_now, utc_timestamp
from redline.run.plan import JobPlan, chains_for, plan_job


@pytest.mark.parametrize(
    "nanoseconds",
    [0, 1_733_400_000_123_456_789, 1_733_400_000_999_999_000, 253_402_300_799_000_001_000],
)
def test_utc_timestamp_is_datetimes_isoformat_in_milliseconds(nanoseconds: int) -> None:
    seconds, rest = divmod(nanoseconds, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    assert utc_timestamp(nanoseconds) == moment.isoformat(timespec="milliseconds")


def test_utc_now_parses_back_as_the_current_utc_time() -> None:
    stamp = datetime.fromisoformat(utc_now())
    assert stamp.tzinfo is not None and stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def test_content_hash_and_attempt_ids_are_unchanged() -> None:
    # Pinned from the json.dumps-per-call implementation: resuming a run relies on them.
    payload = {"b": [1, 2.5, None, "é"], "a": {"z": 1, "y": "object"}}
    assert content_hash(payload) == "aeb40117e00f60c8"
    behaviors = [
        Behavior(id="b1", prompt="Tell me about café ☕", tags=["x"]),
        Behavior(id="b2", prompt="two", system_prompt="be nice"),
    ]
    plan = JobPlan(
        behaviors,
        chains_for([]),
        run_id="r",
        target_name="openai:stub",
        epochs=2,
        seed=3,
        generation=GenerationParams(temperature=0.5),
    )
    jobs = list(plan)
    assert [job.attempt.id for job in jobs] == [
        "ef0688700251601c", "d8fe772d2be643c8", "70b335eae8c71552", "f494193c800d123b",
    ]  # fmt: skip
    # plan_job without the plan's per-epoch identity makes the same id.
    again = plan_job(
        behaviors[0],
        messages=jobs[0].attempt.messages,
        run_id="r",
        target_name="openai:stub",
        generation=GenerationParams(temperature=0.5),
        seed=3,
        epoch=0,
    )
    assert again.attempt.id == jobs[0].attempt.id


def test_loads_reads_what_json_reads_including_nan() -> None:
    document = b'{"a": [1, 2.5, "caf\\u00e9", null, true], "b": {"c": "\xe2\x98\x95"}}'
    assert loads(document) == json.loads(document)
    assert math.isnan(loads(b'{"x": NaN}')["x"])  # orjson refuses it; json reads it
    with pytest.raises(ValueError):
        loads(b'{"x": ')


def test_dumps_bytes_round_trips_and_falls_back_for_what_orjson_refuses() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "café ☕"}], "seed": 3}
    assert json.loads(dumps_bytes(body)) == body
    # Integer keys and integers past 64 bits: json encodes them, as before.
    assert json.loads(dumps_bytes({1: 2**70})) == {"1": 2**70}
    with pytest.raises(TypeError):
        dumps_bytes({"x": object()})
