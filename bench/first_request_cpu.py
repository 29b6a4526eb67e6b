"""CPU seconds a scan spends before its first request: a start-up figure the load does not skew.

Runs ``redline scan`` in a fresh interpreter against a Python target whose first
call records the process's CPU time (user + system, ``getrusage``) and how many
modules are loaded, and whether numpy is among them. Wall time to the first
request on a shared core grows with the load; the CPU spent before it does not
(much). ``bench/whole_process.py`` gives the wall-clock time to the first request.

    python bench/first_request_cpu.py [--prompts 500] [--concurrency 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
import json, resource, sys

calls = []

async def reply(prompt):
    if not calls:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open({out!r}, "a") as handle:
            record = {{"cpu_s": usage.ru_utime + usage.ru_stime, "modules": len(sys.modules),
                      "numpy": "numpy" in sys.modules}}
            handle.write(json.dumps(record) + "\\n")
    calls.append(prompt)
    return "I can't help with that."
"""


def measure(*, prompts: int, concurrency: int, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seen = root / "first_requests.jsonl"
        target = root / "probe_target.py"
        target.write_text(PROBE.format(out=str(seen)))
        prompts_file = root / "prompts.jsonl"
        prompts_file.write_text(
            "".join(
                json.dumps({"id": f"bench-{i}", "prompt": f"Benchmark prompt number {i}."}) + "\n"
                for i in range(prompts)
            )
        )
        argv = [
            sys.executable, "-m", "redline", "scan", "--target", f"python:{target}:reply",
            "--prompts", str(prompts_file), "--concurrency", str(concurrency), "--no-cache",
            "--json", "--new-run", "--runs-dir", str(root / "runs"),
        ]  # fmt: skip
        for _ in range(repeat):
            subprocess.run(argv, check=True, capture_output=True)
        records = [json.loads(line) for line in seen.read_text().splitlines()]
    cpu = [record["cpu_s"] for record in records]
    return {
        "prompts": prompts,
        "concurrency": concurrency,
        "runs": len(records),
        "cpu_s_before_first_request_median": round(statistics.median(cpu), 3),
        "cpu_s_before_first_request_min": round(min(cpu), 3),
        "modules_loaded": records[-1]["modules"],
        "numpy_loaded": records[-1]["numpy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        json.dumps(measure(prompts=args.prompts, concurrency=args.concurrency, repeat=args.repeat))
    )


if __name__ == "__main__":
    main()
