"""Peak RSS of finishing a run (counts, summary, HTML report) against its size.

Writes a synthetic run directory of N attempts (one system and one user
message, a ~250-character response, a refusal score each; 1% errored), then
runs ``finish_run`` on it in a fresh child process and reports the child's
peak RSS. Use it to compare trees: the child imports whichever ``redline`` is
on PYTHONPATH.

    PYTHONPATH=src python bench/finish_memory.py [--attempts 100000] [--behaviours K]

``--behaviours K`` gives K behaviours asked attempts/K times each (epochs), as a
real large run repeats its behaviours; by default every attempt is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redline.core import Attempt, AttemptError, Message, RunInfo, Score
from redline.store import RunStore

LABELS = ("full_refusal", "partial_refusal", "full_compliance")
CATEGORIES = ("s1", "s2", "s9", "cyber", "benign")

CHILD = """
import resource, sys, time
from pathlib import Path
from redline.engine import EngineStats
from redline.run import finish_run
from redline.store import RunStore
handle = RunStore(Path(sys.argv[1])).open(sys.argv[2])
started = time.perf_counter()
finish_run(handle, EngineStats(), report_path=handle.path / "report.html")
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_run(root: Path, attempts: int, behaviours: int | None = None) -> str:
    """A completed-looking run of ``attempts`` records under ``root`` over ``behaviours``
    behaviours (default: one per attempt), epoch after epoch; its id."""
    behaviours = behaviours or attempts
    info = RunInfo(id="20260101-000000-bench0", status="running", config={"target": "stub"})
    with RunStore(root).create(info) as handle:
        for i in range(attempts):
            behaviour, epoch = i % behaviours, i // behaviours
            category = CATEGORIES[behaviour % len(CATEGORIES)]
            errored = i % 100 == 0
            attempt = Attempt(
                id=f"b{behaviour:06d}-none-e{epoch}",
                run_id=info.id,
                behavior_id=f"b{behaviour:06d}",
                category=category,
                expected="comply" if category == "benign" else "refuse",
                attack="none",
                target="openai:stub",
                epoch=epoch,
                messages=[
                    Message(role="system", content="You are a helpful assistant."),
                    Message(role="user", content=f"Question {i} about the orchard, in detail."),
                ],
                response=None if errored else f"Answer {i}: " + "lorem ipsum " * 20,
                latency_s=None if errored else 0.05,
                error=AttemptError(kind="transient", message="HTTP 500") if errored else None,
            )
            handle.append_attempt(attempt)
            if not errored:
                label = LABELS[i % 3]
                handle.append_score(
                    Score(
                        attempt_id=attempt.id,
                        scorer="refusal",
                        scorer_version="1",
                        label=label,
                        value=LABELS.index(label) / 2,
                        rationale=f"matched {label}",
                    )
                )
    return info.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--behaviours", type=int, help="distinct behaviours (default: attempts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_id = write_run(root, args.attempts, args.behaviours)
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), run_id],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        ).stdout.split()
        report = root / run_id / "report.html"
        result = {
            "attempts": args.attempts,
            "behaviours": args.behaviours or args.attempts,
            "finish_s": round(float(output[0]), 2),
            "child_s": round(time.perf_counter() - started, 2),
            "peak_rss_mb": round(int(output[1]) / 1024, 1),
            "report_mb": round(report.stat().st_size / 1e6, 1),
            "load_1min": round(os.getloadavg()[0], 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
