"""Start-up time of the `redline` command: how long a user waits before anything happens.

Each command runs in a fresh interpreter (as a shell would start it), several
times; the figure is the median wall time and the fastest, so one slow run on a
shared machine does not decide it. The commands do no real work:

- ``redline --help``
- ``redline scan --dry-run --suite demo`` (plans a campaign, sends nothing)
- ``redline guard check hello`` (the default guard on one short text)

    python bench/startup.py [--repeat 7] [--json]

Run it with PYTHONPATH pointing at the tree to measure (another checkout's
``src`` gives the figure before a change).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "--help": ["--help"],
    "scan --dry-run": ["scan", "--dry-run", "--suite", "demo", "--no-progress"],
    "guard check": ["guard", "check", "hello"],
}


def time_command(argv: list[str], *, repeat: int, cwd: str) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system) of ``repeat`` fresh runs of
    ``python ARGV``. CPU time is the steadier figure on a shared, loaded machine."""
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            capture_output=True,
            env={**os.environ, "COLUMNS": "100"},
            check=False,
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr!r}")
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    # The interpreter alone, so the reader sees what redline adds on top.
    results = {"python -c pass": time_command(["-c", "pass"], repeat=options.repeat, cwd=".")}
    with tempfile.TemporaryDirectory() as cwd:
        for name, args in COMMANDS.items():
            results[name] = time_command(["-m", "redline", *args], repeat=options.repeat, cwd=cwd)
    rows = {
        name: {
            "median_s": round(statistics.median(wall), 3),
            "min_s": round(min(wall), 3),
            "cpu_median_s": round(statistics.median(cpu), 3),
        }
        for name, (wall, cpu) in results.items()
    }
    if options.json:
        print(json.dumps(rows))
        return
    header = f"{'command':<20} {'median s':>9} {'min s':>7} {'CPU s':>7}"
    print(f"{header}   ({options.repeat} runs each)")
    for name, row in rows.items():
        print(
            f"{name:<20} {row['median_s']:>9.3f} {row['min_s']:>7.3f} {row['cpu_median_s']:>7.3f}"
        )


if __name__ == "__main__":
    main()
