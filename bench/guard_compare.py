"""Guard latency of two source trees, measured in alternation on the same core.

    python bench/guard_compare.py --trees ../main/src src --rounds 3 --n 400 [--json]

Runs bench/guard_latency.py once per tree per round, alternating (A B A B ...), each
in a fresh process pinned to this process's first allowed core with one BLAS
thread, and reports the median over rounds of each figure. Alternation spreads
the machine's changing load over both trees; the CPU-time figures (thread time)
are the ones to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

from source_trees import run_in_tree

LATENCY = Path(__file__).with_name("guard_latency.py")


def one_run(tree: Path, n: int, core: int) -> dict:
    report: dict = run_in_tree(tree, LATENCY, "--n", str(n), "--json", core=core)
    return report


def figures(report: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for side in ("input", "output"):
        row = report[side]
        out[f"{side} p50 CPU ms"] = row["pipeline_cpu_ms"]["p50"]
        out[f"{side} p99 CPU ms"] = row["pipeline_cpu_ms"]["p99"]
        out[f"{side} p50 wall ms"] = row["pipeline_ms"]["p50"]
        out[f"{side} batch msg per CPU s"] = row["batch_messages_per_cpu_s"]
        out[f"{side} batch msg/s wall"] = row["batch_messages_per_s"]
        for name, scanner in row["scanners_ms"].items():
            out[f"{side} {name} p50 ms"] = scanner["p50"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs=2, type=Path, required=True, metavar=("A", "B"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    core = sorted(os.sched_getaffinity(0))[0]
    runs: dict[str, list[dict[str, float]]] = {str(t): [] for t in args.trees}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for tree in args.trees:
            runs[str(tree)].append(figures(one_run(tree, args.n, core)))
    loads.append(os.getloadavg()[0])
    medians = {
        tree: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        for tree, rows in runs.items()
    }
    report = {"core": core, "rounds": args.rounds, "n": args.n, "load_1min": loads, **medians}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    a, b = (str(t) for t in args.trees)
    print(f"core {core}, {args.rounds} rounds, load {loads[0]:.1f} -> {loads[1]:.1f}")
    print(f"{'figure':34s} {'A':>10s} {'B':>10s}   A={a} B={b}")
    for key in medians[a]:
        print(f"{key:34s} {medians[a][key]:10.3f} {medians[b].get(key, float('nan')):10.3f}")


if __name__ == "__main__":
    main()
