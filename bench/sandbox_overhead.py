"""Start-up overhead of the bubblewrap sandbox per run.

Runs the same tiny program N times three ways and prints wall time per run:
plain ``python3 -I -c`` as a subprocess (the floor; the python3 the sandbox
finds, on its PATH, not a shim on yours), ``run_in_sandbox`` (bwrap,
namespaces, the launcher's fork and rlimits, output capture), and the sandbox
running ``sh`` instead of Python. Overhead = sandbox - plain.

    python bench/sandbox_overhead.py --runs 30
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

from redline.sandbox import run_in_sandbox, sandbox_unavailable_reason
from redline.sandbox.bubblewrap import SANDBOX_PATH

CODE = "print(6 * 7)"


def _timed(fn: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    reason = sandbox_unavailable_reason()
    if reason:
        raise SystemExit(f"sandbox unavailable: {reason}")
    run_in_sandbox(CODE)  # warm the page cache and the bwrap probe
    python3 = shutil.which("python3", path=SANDBOX_PATH)
    if python3 is None:
        raise SystemExit(f"no python3 on {SANDBOX_PATH}")

    def plain() -> None:
        subprocess.run([python3, "-I", "-c", CODE], capture_output=True, check=True)

    def sandboxed() -> None:
        assert run_in_sandbox(CODE).stdout == "42\n"

    def sandboxed_sh() -> None:
        assert run_in_sandbox("echo 42", language="sh").stdout == "42\n"

    rows = {
        "plain python3 subprocess": _summary(_timed(plain, args.runs)),
        "run_in_sandbox (python)": _summary(_timed(sandboxed, args.runs)),
        "run_in_sandbox (sh)": _summary(_timed(sandboxed_sh, args.runs)),
    }
    overhead = (
        rows["run_in_sandbox (python)"]["median_ms"] - rows["plain python3 subprocess"]["median_ms"]
    )
    print(json.dumps({"runs": args.runs, "load": os.getloadavg()[0], "rows": rows,
                      "median_overhead_ms": round(overhead, 1)}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
