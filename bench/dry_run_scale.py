"""`redline scan --dry-run` against the number of prompts: wall, CPU and peak RSS.

Writes N prompts (one JSONL line each, as engine_overhead.py does), runs the real
CLI's dry run in a child process (no server: a dry run builds the target but sends
nothing) and reports the child's wall time, CPU seconds and peak RSS
(resource.getrusage(RUSAGE_CHILDREN) after each child; every child is measured
alone, so ru_maxrss is that child's peak once it exceeds the earlier ones: each
size runs in a fresh interpreter of this script for that reason, see --one).
Also prints the dry run's own output line, to compare two trees' outputs.

    python bench/dry_run_scale.py [--sizes 500 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine_overhead import write_prompts
from whole_process import scan_command


def dry_run_command(prompts: Path, runs: Path) -> list[str]:
    """whole_process.py's scan, with --dry-run: nothing listens at the address."""
    scan = scan_command(
        base_url="http://127.0.0.1:9/v1",
        prompts=prompts,
        runs=runs,
        concurrency=64,
        executor="local",
        scorers=[],
    )
    return [sys.executable, *scan, "--dry-run"]


def measure_one(count: int) -> dict[str, object]:
    """One dry run over ``count`` prompts, in this process's only child."""
    with tempfile.TemporaryDirectory() as tmp:
        prompts = Path(tmp) / "prompts.jsonl"
        write_prompts(prompts, count)
        started = time.perf_counter()
        done = subprocess.run(
            dry_run_command(prompts, Path(tmp) / "runs"),
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "prompts": count,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "output": done.stdout.strip().splitlines()[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 10_000, 100_000])
    parser.add_argument("--one", type=int, help="measure this size only (a fresh process)")
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure_one(args.one)))
        return
    # RUSAGE_CHILDREN's peak is the largest of all children so far, so each size
    # runs under a fresh copy of this script whose only child is that dry run.
    for count in args.sizes:
        line = subprocess.run(
            [sys.executable, __file__, "--one", str(count)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(line, flush=True)


if __name__ == "__main__":
    main()
