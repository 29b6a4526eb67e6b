"""Guard latency per ~1,000-character message on one core: p50/p99 per scanner and
for the whole pipeline, and batch throughput.

    python bench/guard_latency.py [--policy FILE] [--n 2000] [--json]

Messages are built from public prompts in ../shared/data when present (benign
instructions and harmful behaviours, padded to ~1,000 characters), else from
built-in filler. Pin to one core with `taskset -c 0` for a one-core figure.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from redline.guard import Guard

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FILLER = (
    "Our support team reviewed the ticket and found that the export job failed after the "
    "nightly maintenance window. Please retry the upload and tell us if it still fails. "
)


def messages(n: int, length: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prompts: list[str] = []
    benign = DATA / "benign" / "harmless_val.json"
    harmful = DATA / "advbench" / "advbench.csv"
    if benign.exists():
        prompts += [row["instruction"] for row in json.loads(benign.read_text())[:2000]]
    if harmful.exists():
        prompts += [line.split(",")[0].strip('"') for line in harmful.read_text().splitlines()[1:]]
    if not prompts:
        prompts = [FILLER]
    out = []
    for _ in range(n):
        text = rng.choice(prompts)
        while len(text) < length:
            text += " " + rng.choice(prompts)
        out.append(text[:length])
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    guard = Guard.from_policy(args.policy) if args.policy else Guard.default()
    texts = messages(args.n, args.length, seed=0)
    report: dict = {"messages": len(texts), "chars": args.length, "skipped": guard.skipped}
    for side in ("input", "output"):
        guard.check_text(texts[0], side=side)  # warm caches
        per_scanner: dict[str, list[float]] = {}
        totals = []
        cpu = []
        for text in texts:
            t0 = time.thread_time()
            verdict = guard.check_text(text, side=side)
            # CPU time of this thread: wall-clock minus time the scheduler gave to
            # other processes (the figure that means something on a shared machine).
            cpu.append((time.thread_time() - t0) * 1000)
            totals.append(verdict.latency_ms)
            for name, ms in verdict.scanner_latency_ms.items():
                per_scanner.setdefault(name, []).append(ms)
        report[side] = {
            "pipeline_ms": {
                "p50": percentile(totals, 0.5),
                "p99": percentile(totals, 0.99),
                "mean": statistics.fmean(totals),
            },
            "pipeline_cpu_ms": {"p50": percentile(cpu, 0.5), "p99": percentile(cpu, 0.99)},
            "scanners_ms": {
                name: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99)}
                for name, v in per_scanner.items()
            },
        }
        started, cpu_started = time.perf_counter(), time.thread_time()
        guard.check_batch(texts, side=side)
        cpu_s = time.thread_time() - cpu_started
        report[side]["batch_messages_per_s"] = len(texts) / (time.perf_counter() - started)
        # Per CPU second of this thread: what one core gives when nothing else runs on it.
        report[side]["batch_messages_per_cpu_s"] = len(texts) / cpu_s
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for side in ("input", "output"):
        row = report[side]
        p = row["pipeline_ms"]
        c = row["pipeline_cpu_ms"]
        print(
            f"{side}: pipeline p50 {p['p50']:.3f} ms  p99 {p['p99']:.3f} ms  "
            f"(CPU time p50 {c['p50']:.3f} ms  p99 {c['p99']:.3f} ms)  "
            f"batch {row['batch_messages_per_s']:.0f} msg/s "
            f"({row['batch_messages_per_cpu_s']:.0f} per CPU second)"
        )
        for name, s in row["scanners_ms"].items():
            print(f"  {name:16s} p50 {s['p50']:.3f} ms  p99 {s['p99']:.3f} ms")
    if guard.skipped:
        print("skipped:", guard.skipped)


if __name__ == "__main__":
    main()
