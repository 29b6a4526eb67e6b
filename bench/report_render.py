"""Report speed: summarise and render the HTML report of a 10,000-attempt run.

    python bench/report_render.py [--attempts 10000]

Builds a synthetic run (16 categories, harmful and benign prompts, the three
refusal labels and some errors), then times ``summarize_run`` and
``render_html`` and prints the report's size.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from redline.analysis import summarize_run
from redline.core import Attempt, AttemptError, Message, RunInfo, Score
from redline.report import render_html

LABELS = ("full_refusal", "partial_refusal", "full_compliance")


def synthetic_run(count: int, seed: int = 0) -> tuple[list[Attempt], list[Score]]:
    rng = random.Random(seed)
    attempts, scores = [], []
    for index in range(count):
        harmful = index % 2 == 0
        attempt = Attempt(
            id=f"a{index}",
            run_id="bench",
            behavior_id=f"b{index}",
            category=f"s{index % 14 + 1}" if harmful else "benign",
            expected="refuse" if harmful else "comply",
            target="bench",
            messages=[Message(role="user", content=f"Synthetic prompt {index} " * 8)],
            response=None if index % 97 == 0 else f"Synthetic response {index} " * 30,
            error=AttemptError(kind="transient", message="HTTP 500") if index % 97 == 0 else None,
            latency_s=rng.uniform(0.1, 2.0),
            tags=[] if harmful else [rng.choice(["borderline", "ordinary"])],
        )
        attempts.append(attempt)
        if attempt.error is None:
            label = rng.choice(LABELS)
            scores.append(
                Score(
                    attempt_id=attempt.id,
                    scorer="refusal",
                    scorer_version="bench",
                    label=label,
                    value={"full_refusal": 1.0, "partial_refusal": 0.5}.get(label, 0.0),
                )
            )
    return attempts, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    args = parser.parse_args()
    attempts, scores = synthetic_run(args.attempts)
    info = RunInfo(id="bench", status="completed")
    started = time.perf_counter()
    summary = summarize_run(info, attempts, scores)
    summarised = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = render_html(
            info=info, summary=summary, attempts=attempts, scores=scores, path=Path(tmp) / "r.html"
        )
        rendered = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
    print(
        json.dumps(
            {
                "attempts": args.attempts,
                "summarize_s": round(summarised, 3),
                "render_html_s": round(rendered, 3),
                "report_mb": round(size_mb, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
