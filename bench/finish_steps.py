"""Memory and time of each step of finishing a run, in a fresh process.

Prints the RSS and the peak RSS (MB) and the seconds (wall and CPU) since the
first step after each of: indexing the attempts file, indexing the scores file,
the score index, the summary, the HTML report. As ``finish_run`` does, the summary's pass also
chooses the report's transcripts where the tree has ``TranscriptSampler``. Give a
real run's directory (e.g. one kept from ``redline scan --runs-dir``), or a number
of attempts for a synthetic run (``finish_memory.py``'s: one score an attempt, where a
scan with the default scorers records two).

    PYTHONPATH=src python bench/finish_steps.py --run-dir RUNS/RUN_ID
    PYTHONPATH=src python bench/finish_steps.py --attempts 100000 [--behaviours 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from finish_memory import write_run

CHILD = """
import json, resource, sys, time
from pathlib import Path
from redline.analysis import ScoreIndex, summarize_run
from redline.report import render_html
from redline.store import RunStore
try:  # the finish's one pass (summary and transcript sample); absent before it
    from redline.report import TranscriptSampler
except ImportError:
    TranscriptSampler = None

def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return round(int(line.split()[1]) / 1024, 1)

def peak():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

run_dir = Path(sys.argv[1])
handle = RunStore(run_dir.parent).open(run_dir.name)
steps = [{"step": "start", "rss_mb": rss(), "peak_mb": peak(), "s": 0.0, "cpu_s": 0.0}]
started, started_cpu = time.perf_counter(), time.process_time()

def mark(step):
    # CPU seconds too: steadier than wall time on a shared core.
    steps.append({"step": step, "rss_mb": rss(), "peak_mb": peak(),
                  "s": round(time.perf_counter() - started, 2),
                  "cpu_s": round(time.process_time() - started_cpu, 2)})

attempts = handle.stored_attempts(); mark("index attempts")
stored = handle.stored_scores(); mark("index scores")
scores = ScoreIndex(stored); mark("score index")
sampler = None if TranscriptSampler is None else TranscriptSampler(limit=2000)
summary = summarize_run(handle.info, attempts, scores,
                        **({} if sampler is None else {"on_verdict": sampler.add}))
mark("summary")
render_html(info=handle.info, summary=summary, attempts=attempts, scores=scores,
            path=Path(sys.argv[2]), images=handle.images, max_transcripts=2000,
            **({} if sampler is None else {"sampler": sampler}))
mark("report")
print(json.dumps(steps))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-dir", type=Path, help="a run's directory (holds run.json)")
    source.add_argument("--attempts", type=int, help="write a synthetic run of this size")
    parser.add_argument(
        "--behaviours", type=int, help="the synthetic run's distinct behaviours (default: attempts)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run_dir
        if run_dir is None:
            run_dir = Path(tmp) / write_run(Path(tmp), args.attempts, args.behaviours)
        if not (run_dir / "run.json").is_file():
            parser.error(f"{run_dir}: no run.json here (give a run's directory)")
        output = subprocess.run(
            [sys.executable, "-c", CHILD, str(run_dir), str(Path(tmp) / "report.html")],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        ).stdout
    for step in json.loads(output):
        print(json.dumps(step))


if __name__ == "__main__":
    main()
