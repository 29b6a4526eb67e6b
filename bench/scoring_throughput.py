"""Responses per second for the CPU scorers, on one core.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/scoring_throughput.py

Scores the shipped refusal dev set's responses (repeated to N) in batches of 256
with refusal (trained classifier), refusal-patterns, harm-classifier and a regex
scorer; also one response at a time for the refusal classifier.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from redline.classifiers import artifacts_dir
from redline.classifiers.refusal_training import read_dev_set
from redline.core import Attempt, Message
from redline.scoring import build_scorer


def attempts(n: int) -> list[Attempt]:
    rows = read_dev_set(artifacts_dir() / "refusal" / "dev.jsonl")
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        out.append(
            Attempt(
                id=f"a{i}",
                run_id="bench",
                behavior_id=str(i),
                category="x",
                expected="refuse",
                target="bench",
                messages=[Message(role="user", content=row["prompt"])],
                response=row["response"],
            )
        )
    return out


def rate(scorer, batch: list[Attempt], *, one_at_a_time: bool = False) -> float:
    scorer.score(batch[0])  # warm-up (model load, caches)
    started = time.perf_counter()
    if hasattr(scorer, "score_many") and not one_at_a_time:
        for i in range(0, len(batch), 256):
            scorer.score_many(batch[i : i + 256])
    else:
        for attempt in batch:
            scorer.score(attempt)
    return len(batch) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    batch = attempts(args.n)
    mean_chars = sum(len(a.response or "") for a in batch) / len(batch)
    print(f"{len(batch)} responses, mean {mean_chars:.0f} characters, one core")
    for name in ("refusal", "refusal-patterns", "harm-classifier", r"regex:(?i)\bsorry\b"):
        print(f"{name:22} {rate(build_scorer(name), batch):9.0f} responses/s")
    single = rate(build_scorer("refusal"), batch[:500], one_at_a_time=True)
    print(f"{'refusal (one by one)':22} {single:9.0f} responses/s")


if __name__ == "__main__":
    main()
