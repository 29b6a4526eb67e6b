"""Start-up time of the `redline` command: how long a user waits before anything happens.

Each command runs in a fresh interpreter (as a shell would start it), several
times; the figure is the median wall time and the fastest, so one slow run on a
shared machine does not decide it. The commands do no real work:

- ``redline --help``
- ``redline scan --dry-run --suite demo`` (plans a campaign, sends nothing)
- ``redline guard check hello`` (the default guard on one short text)

    python bench/startup.py [--repeat 7] [--json]
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

COMMANDS = {
    "--help": ["--help"],
    "scan --dry-run": ["scan", "--dry-run", "--suite", "demo", "--no-progress"],
    "guard check": ["guard", "check", "hello"],
}


def time_command(argv: list[str], *, repeat: int, cwd: str) -> list[float]:
    """Wall seconds of ``repeat`` fresh runs of ``python ARGV``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            capture_output=True,
            env={**os.environ, "COLUMNS": "100"},
            check=False,
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr!r}")
    return times


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
        name: {"median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3)}
        for name, t in results.items()
    }
    if options.json:
        print(json.dumps(rows))
        return
    print(f"{'command':<20} {'median s':>9} {'min s':>7}   ({options.repeat} runs each)")
    for name, row in rows.items():
        print(f"{name:<20} {row['median_s']:>9.3f} {row['min_s']:>7.3f}")


if __name__ == "__main__":
    main()
