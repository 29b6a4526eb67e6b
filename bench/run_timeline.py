"""Where a scan's time over the physical limit goes: a timeline and the request rate.

Runs ``redline scan`` against the stub (as ``whole_process.py`` does) in a child
whose wrapper reads ``time.monotonic`` (one clock for every process on the
machine) when the engine starts and ends, when the scoring is closed and around
``finish_run``, and when the exit handlers run; the stub records every request's
arrival. Prints the events relative to the last request's arrival, and the
arrival rate in each 0.5 s against the ideal (concurrency / delay): a run at the
limit keeps every slot busy, so 1.0 throughout. Retried requests count as
arrivals, so under ``--fail-rate`` the ideal span is (attempts + retries) x delay /
concurrency; the rate's last buckets show the retries' tail.

    python bench/run_timeline.py [--attempts 2000] [--concurrency 32] [--delay 0.05]
                                 [--fail-rate 0.0] [--stub-cpu N]  (pin the stub to CPU N)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from engine_overhead import start_stub
from whole_process import stub_arrivals, wrapped_scan

# Wraps the engine, the scoring's close and the finish to read the clock around
# them; the marks are written by an exit handler (redline scan ends with os._exit).
WRAPPER = """
import atexit, json, runpy, sys, time
marks = {}
import redline.engine.executor as executor
import redline.run.background_scoring as background_scoring
import redline.run.runner as runner
def timed_async(owner, name, key):
    original = getattr(owner, name)
    async def timed(*args, **kwargs):
        marks[key + "_start"] = time.monotonic()
        try:
            return await original(*args, **kwargs)
        finally:
            marks[key + "_end"] = time.monotonic()
    setattr(owner, name, timed)
def timed_sync(owner, name, key):
    original = getattr(owner, name)
    def timed(*args, **kwargs):
        marks[key + "_start"] = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            marks[key + "_end"] = time.monotonic()
    setattr(owner, name, timed)
timed_async(executor.Executor, "run", "engine")
timed_async(background_scoring.BackgroundScoring, "close", "scoring_close")
timed_sync(runner, "finish_run", "finish")
def write_marks():
    marks["exit_handlers"] = time.monotonic()
    with open(MARKS, "w") as handle:
        json.dump(marks, handle)
atexit.register(write_marks)
sys.argv = ["redline", *sys.argv[1:]]
runpy.run_module("redline", run_name="__main__")
"""

BUCKET_S = 0.5


def measure(
    *,
    attempts: int,
    concurrency: int,
    delay: float,
    fail_rate: float,
    stub_cpu: int | None = None,
) -> dict[str, object]:
    stub, base_url = start_stub(delay=delay, fail_rate=fail_rate)
    try:
        if stub_cpu is not None:
            # The placement the whole-process goals were set in: the target on a core of its own.
            os.sched_setaffinity(stub.pid, {stub_cpu})
        with tempfile.TemporaryDirectory() as tmp:
            command, marks_path = wrapped_scan(
                Path(tmp),
                wrapper=WRAPPER,
                base_url=base_url,
                attempts=attempts,
                concurrency=concurrency,
            )
            spawned = time.monotonic()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            exited = time.monotonic()
            marks = json.loads(marks_path.read_text())
            arrivals = stub_arrivals(base_url)
    finally:
        stub.terminate()
        stub.wait()
    first, last = arrivals[0], arrivals[-1]
    events = {**marks, "spawn": spawned, "first_request": first, "exited": exited}
    timeline = {
        name: round((at - last) * 1000, 1)
        for name, at in sorted(events.items(), key=lambda e: e[1])
    }
    ideal_rate = concurrency / delay
    counts = [0] * (int((last - first) / BUCKET_S) + 1)
    for arrival in arrivals:
        counts[int((arrival - first) / BUCKET_S)] += 1
    return {
        "attempts": attempts,
        "concurrency": concurrency,
        "requests": len(arrivals),
        "stub_fail_rate": fail_rate,
        # First to last arrival, against the same for every slot busy all along.
        "span_s": round(last - first, 3),
        "ideal_span_s": round(len(arrivals) * delay / concurrency - delay, 3),
        "ms_from_last_request": timeline,
        "rate_vs_ideal_per_half_second": [round(c / BUCKET_S / ideal_rate, 2) for c in counts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--stub-cpu", type=int, help="pin the stub to this CPU")
    print(json.dumps(measure(**vars(parser.parse_args()))))


if __name__ == "__main__":
    main()
