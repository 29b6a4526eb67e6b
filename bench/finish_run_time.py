"""Wall time of ``finish_run`` (counts, summary, HTML report) over a finished run, in a
fresh process per repeat: the finish's share of a scan's time after the last response.

Copies the run's directory (``finish_run`` rewrites run.json and the report) and
times ``redline.run.loop.finish_run`` with the scan's defaults, once per child
process, ``--repeat`` times; prints each time and the median, in milliseconds.
Keep a run with ``redline scan --runs-dir DIR``.

    PYTHONPATH=<tree>/src python bench/finish_run_time.py --run-dir RUNS/RUN_ID [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from redline.analysis import ScoreIndex  # imported before the clock, as in a scan
from redline.engine import EngineStats
from redline.report import render_html
from redline.run.loop import finish_run
from redline.store import RunStore
run_dir = Path(sys.argv[1])
handle = RunStore(run_dir.parent).open(run_dir.name)
started = time.perf_counter()
finish_run(handle, EngineStats(), report_path=run_dir / "report.html")
print((time.perf_counter() - started) * 1000)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            copy = Path(tmp) / "runs" / args.run_dir.name
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(args.run_dir, copy)
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(copy)], check=True, capture_output=True
            )
            times.append(round(float(out.stdout.decode().split()[-1]), 1))
    print(
        json.dumps(
            {"run": str(args.run_dir), "finish_ms": times, "median_ms": statistics.median(times)}
        )
    )


if __name__ == "__main__":
    main()
