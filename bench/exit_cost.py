"""What a `redline` process spends after its command has finished: the interpreter's exit.

Runs the command in a child whose wrapper registers an ``atexit`` hook before
anything else (hooks run last-registered first, so it runs last) that records the
process's CPU time and a monotonic clock; the parent records the child's total CPU
(``wait4``) and when it exited. The difference is the interpreter's teardown
after every hook: the modules torn down and the garbage collector's passes.

    python bench/exit_cost.py [--command scan|guard] [--attempts 500] [--concurrency 16]
                              [--repeat 3]

``scan`` is ``redline scan --json`` against the stub (50 ms), as
``whole_process.py`` runs it; ``guard`` is ``redline guard check hello``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine_overhead import start_stub, write_prompts
from whole_process import scan_command

WRAPPER = """
import atexit, json, resource, runpy, sys, time
def last_hook():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(MARKS, "w") as handle:
        json.dump({"cpu_s": usage.ru_utime + usage.ru_stime, "at": time.monotonic()}, handle)
atexit.register(last_hook)
sys.argv = ["redline", *sys.argv[1:]]
runpy.run_module("redline", run_name="__main__")
"""


def run_once(args: list[str], marks: Path) -> dict[str, float]:
    child = subprocess.Popen(
        [sys.executable, "-c", f"MARKS = {str(marks)!r}\n{WRAPPER}", *args],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    exited = time.monotonic()
    if status != 0:
        raise RuntimeError(f"redline {' '.join(args)} exited with status {status >> 8}")
    last_hook = json.loads(marks.read_text())
    return {
        "exit_cpu_s": usage.ru_utime + usage.ru_stime - last_hook["cpu_s"],
        "exit_wall_s": exited - last_hook["at"],
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def measure(*, command: str, attempts: int, concurrency: int, repeat: int) -> dict[str, object]:
    stub, base_url = start_stub(delay=0.05, fail_rate=0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            if command == "scan":
                prompts = root / "prompts.jsonl"
                write_prompts(prompts, attempts)
                scan = scan_command(
                    base_url=base_url,
                    prompts=prompts,
                    runs=root / "runs",
                    concurrency=concurrency,
                    executor="local",
                    scorers=[],
                )
                args = [*scan[2:], "--new-run"]  # the wrapper runs `redline` itself
            else:
                args = ["guard", "check", "hello"]
            runs = [run_once(args, root / f"marks-{index}.json") for index in range(repeat)]
    finally:
        stub.terminate()
        stub.wait()
    return {
        "command": command,
        **({"attempts": attempts, "concurrency": concurrency} if command == "scan" else {}),
        "runs": repeat,
        **{
            f"{name}_median": round(statistics.median(run[name] for run in runs), 3)
            for name in ("exit_cpu_s", "exit_wall_s", "cpu_s")
        },
        "load_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--command", choices=["scan", "guard"], default="scan")
    parser.add_argument("--attempts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    print(json.dumps(measure(**vars(parser.parse_args()))))


if __name__ == "__main__":
    main()
