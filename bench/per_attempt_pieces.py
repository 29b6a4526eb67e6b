"""CPU of the per-attempt pieces a scan runs on its main thread and scoring thread.

Each piece is timed alone with ``timeit`` (best of 5; making jobs: best of 15
passes over 2,000 behaviours), so two trees compare on the same machine state:

    PYTHONPATH=<tree>/src python bench/per_attempt_pieces.py

Pieces: making a job (``JobPlan``: unpacking the behaviour, its prompt hash, the
attempt id, the ``Attempt``), encoding an OpenAI request body, parsing a stub
reply (``parse_response``), a ``Score``, and ``utc_now``.
"""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Callable
from typing import Any

from redline.core import Behavior, GenerationParams, Message, Score
from redline.core.records import utc_now
from redline.data.packed_behaviors import PackedBehaviors
from redline.run.plan import JobPlan, chains_for
from redline.targets import build_target
from redline.targets.spec import TargetSpec

REPLY = json.dumps(
    {
        "id": "x",
        "object": "chat.completion",
        "model": "redline-stub",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Sure: Benchmark prompt number 1234."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9},
    }
).encode()


def encoder() -> Callable[[Any], bytes]:
    """The request-body encoder of the tree under test (orjson, or json before it)."""
    try:
        from redline.core.fast_json import dumps_bytes
    except ImportError:  # a tree from before redline.core.fast_json

        def dumps_bytes(value: Any) -> bytes:
            return json.dumps(value).encode()

    return dumps_bytes


def best_us(piece: Callable[[], object], number: int = 20_000) -> float:
    return min(timeit.repeat(piece, number=number, repeat=5)) / number * 1e6


def job_making_us(behaviors: int = 2_000, passes: int = 15) -> float:
    packed = PackedBehaviors(
        [
            Behavior(id=f"bench-{i}", prompt=f"Benchmark prompt number {i}.")
            for i in range(behaviors)
        ]
    )
    best = float("inf")
    for _ in range(passes):
        plan = JobPlan(
            packed,
            chains_for([]),
            run_id="bench",
            target_name="openai:stub",
            epochs=1,
            seed=0,
            generation=GenerationParams(),
        )
        started = time.thread_time()
        for _job in plan:
            pass
        best = min(best, time.thread_time() - started)
    return best / behaviors * 1e6


def main() -> None:
    target = build_target(
        TargetSpec(kind="openai", model="stub", base_url="http://127.0.0.1:1/v1"), timeout=60
    )
    messages = [Message(role="user", content="Benchmark prompt number 1234.")]
    params = GenerationParams(seed=0)
    encode = encoder()
    result = {
        "job_us": job_making_us(),
        "request_body_us": best_us(lambda: encode(target.request_body(messages, params))),
        "parse_response_us": best_us(lambda: target.parse_response(REPLY)),
        "score_us": best_us(
            lambda: Score(
                attempt_id="a" * 16, scorer="refusal", scorer_version="1", label="ok", value=0.1
            )
        ),
        "utc_now_us": best_us(utc_now),
    }
    print(json.dumps({name: round(value, 2) for name, value in result.items()}))


if __name__ == "__main__":
    main()
