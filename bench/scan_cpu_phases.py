"""Where a scan's CPU goes, by phase and thread, in µs per attempt (no profiler overhead).

Runs ``redline scan`` against the stub (as ``whole_process.py`` does) in a child
whose wrapper reads per-thread CPU clocks (``time.thread_time``) at the phase
boundaries: the main thread before the engine starts (interpreter, imports,
prompts, planning set-up), while the engine sends (requests, responses, job
making, recording, the hand-off to scoring), in the finish (counts, summary,
report) and after it; the scorers' build thread; the threads that run the
batched ``score_many`` calls; and the CPU the cyclic garbage collector took
(``gc.callbacks``, in whichever thread it ran).

    python bench/scan_cpu_phases.py [--attempts 10000] [--concurrency 64] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from engine_overhead import start_stub
from whole_process import wrapped_scan

# Wraps Executor.run and finish_run to read the main thread's CPU clock around them,
# and Thread.run to read each other thread's clock as it ends.
WRAPPER = """
import atexit, gc, json, resource, runpy, sys, threading, time
marks = {"threads": [], "gc_s": 0.0, "gc_collections": [0, 0, 0]}
gc_started = [0.0]
def on_gc(phase, info):
    if phase == "start":
        gc_started[0] = time.thread_time()
    else:
        marks["gc_s"] += time.thread_time() - gc_started[0]
        marks["gc_collections"][info["generation"]] += 1
gc.callbacks.append(on_gc)
thread_run = threading.Thread.run
def timed_run(self):
    try:
        thread_run(self)
    finally:
        marks["threads"].append([self.name, time.thread_time()])
threading.Thread.run = timed_run
import redline.engine.executor as executor
import redline.run.runner as runner
engine_run = executor.Executor.run
async def timed_engine(self, *args, **kwargs):
    marks["engine_start"] = time.thread_time()
    try:
        return await engine_run(self, *args, **kwargs)
    finally:
        marks["engine_end"] = time.thread_time()
executor.Executor.run = timed_engine
finish_run = runner.finish_run
def timed_finish(*args, **kwargs):
    marks["finish_start"] = time.thread_time()
    try:
        return finish_run(*args, **kwargs)
    finally:
        marks["finish_end"] = time.thread_time()
runner.finish_run = timed_finish
def write_marks():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    marks["main_exit"] = time.thread_time()
    marks["process_cpu_s"] = usage.ru_utime + usage.ru_stime
    with open(MARKS, "w") as handle:
        json.dump(marks, handle)
# An exit handler: `redline scan` ends with os._exit after running them (quick_exit).
atexit.register(write_marks)
sys.argv = ["redline", *sys.argv[1:]]
try:
    runpy.run_module("redline", run_name="__main__")
except SystemExit as stop:
    marks["exit_code"] = stop.code
"""


def measure(*, attempts: int, concurrency: int, delay: float) -> dict[str, object]:
    stub, base_url = start_stub(delay=delay, fail_rate=0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            command, marks_path = wrapped_scan(
                Path(tmp),
                wrapper=WRAPPER,
                base_url=base_url,
                attempts=attempts,
                concurrency=concurrency,
            )
            subprocess.run(
                command,
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            marks = json.loads(marks_path.read_text())
    finally:
        stub.terminate()
        stub.wait()
    scorer_build = sum(cpu for name, cpu in marks["threads"] if name == "redline-scorers")
    scoring = sum(cpu for name, cpu in marks["threads"] if name.startswith("asyncio_"))
    phases = {
        "main_before_engine": marks["engine_start"],
        "main_engine": marks["engine_end"] - marks["engine_start"],
        "main_between": marks["finish_start"] - marks["engine_end"],
        "main_finish": marks["finish_end"] - marks["finish_start"],
        "main_after_finish": marks["main_exit"] - marks["finish_end"],
        "scorer_build_thread": scorer_build,
        "scoring_threads": scoring,
    }
    return {
        "attempts": attempts,
        "concurrency": concurrency,
        "cpu_s": round(marks["process_cpu_s"], 2),
        "cpu_us_per_attempt": round(1e6 * marks["process_cpu_s"] / attempts, 1),
        "phases_s": {name: round(value, 3) for name, value in phases.items()},
        "phases_us_per_attempt": {
            name: round(1e6 * value / attempts, 1) for name, value in phases.items()
        },
        "gc_s": round(marks["gc_s"], 3),
        "gc_collections_by_generation": marks["gc_collections"],
        "load_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    result = measure(attempts=args.attempts, concurrency=args.concurrency, delay=args.delay)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
