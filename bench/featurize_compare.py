"""TextFeaturizer speed of two source trees: one text at a time and in batches.

    python bench/featurize_compare.py --trees ../main/src src [--n 2000] [--rounds 3] [--json]

Each tree runs in its own process pinned to this process's first allowed core,
alternating A B A B ..., and reports the median over rounds of CPU time (thread
time) per text for ``features(text)`` and for ``transform(texts)`` on the whole
list at once, for the guard's shipped feature configuration (hashed n-grams plus
the static embedding) and for hashed n-grams alone. Texts: guard_latency.py's
~1,000-character messages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from source_trees import run_in_tree


def measure(n: int) -> dict[str, float]:
    """In the tree's own process: microseconds of CPU time per text."""
    sys.path.insert(0, str(Path(__file__).parent))
    from guard_latency import messages

    from redline.classifiers import FeatureConfig, TextFeaturizer

    texts = messages(n, 1000, seed=0)
    configs = {
        "hashed": FeatureConfig(),
        "hashed+static": FeatureConfig(static_embedding="static-minilm", static_dims=128),
    }
    out: dict[str, float] = {}
    for name, config in configs.items():
        featurizer = TextFeaturizer(config)
        featurizer.transform(texts[:50])  # warm the static embedding's word cache
        for text in texts:
            featurizer.features(text)
        started = time.thread_time()
        for text in texts:
            featurizer.features(text)
        out[f"{name} features(text) us"] = (time.thread_time() - started) / n * 1e6
        started = time.thread_time()
        featurizer.transform(texts)
        out[f"{name} transform({n}) us per text"] = (time.thread_time() - started) / n * 1e6
    return out


def one_run(tree: Path, n: int, core: int) -> dict[str, float]:
    result: dict[str, float] = run_in_tree(tree, __file__, "--measure", "--n", str(n), core=core)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.n)))
        return
    if not args.trees:
        parser.error("--trees A B is required")
    core = sorted(os.sched_getaffinity(0))[0]
    runs: dict[str, list[dict[str, float]]] = {str(t): [] for t in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            runs[str(tree)].append(one_run(tree, args.n, core))
    medians: dict[str, Any] = {
        tree: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        for tree, rows in runs.items()
    }
    if args.json:
        print(json.dumps({"core": core, "rounds": args.rounds, "n": args.n, **medians}, indent=2))
        return
    a, b = (str(t) for t in args.trees)
    print(f"core {core}, {args.rounds} rounds, {args.n} texts; CPU microseconds per text")
    print(f"{'figure':40s} {'A':>9s} {'B':>9s}   A={a} B={b}")
    for key in medians[a]:
        print(f"{key:40s} {medians[a][key]:9.1f} {medians[b][key]:9.1f}")


if __name__ == "__main__":
    main()
