"""Reward model figures: held-out pairwise accuracy, safety subset, probes, CPU time.

Two sources of pairs:

- hh-rlhf harmless (default): ``hh-rlhf/harmless_base_test.jsonl.gz`` (MIT;
  every pair, kinds from the refusal classifier), split train/test by
  conversation (the first human turn);
- ``--prefs FILE``: pairs from ``redline prefs build`` (a real run of the
  bundled model, with a responder), re-split by behaviour.

Trains the MiniLM Bradley-Terry reward model on the train side and evaluates on
the test side. Prints one JSON document (figures, intervals, seconds, machine).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/reward_figures.py [--data-dir ../shared/data] \
        [--limit N] [--epochs 40] [--output /tmp/reward-hh]
    HF_HUB_OFFLINE=1 .venv/bin/python bench/reward_figures.py --prefs run-prefs.jsonl \
        [--test-fraction 0.3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from redline.alignment.prefs import (
    PreferencePair,
    assign_splits,
    deduplicate,
    describe,
    load_pairs,
    split_pairs,
)
from redline.alignment.prefs_import import import_hh_rlhf, label_kinds
from redline.alignment.reward_eval import evaluate_reward_model
from redline.alignment.reward_model import HeadSettings, train_embedding_reward_model


def hh_pairs(args: argparse.Namespace) -> tuple[list[PreferencePair], dict[str, Any]]:
    source = args.data_dir / "hh-rlhf" / "harmless_base_test.jsonl.gz"
    if not source.is_file():
        raise SystemExit(f"{source} not found")
    pairs, counts = import_hh_rlhf(source, limit=args.limit)
    pairs = deduplicate(label_kinds(pairs))
    return pairs, {"source": str(source), "skipped_rows": counts.skipped}


def file_pairs(args: argparse.Namespace) -> tuple[list[PreferencePair], dict[str, Any]]:
    pairs = load_pairs(args.prefs)
    return pairs, {"source": str(args.prefs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None, help="Use the first N pairs.")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--output", type=Path, default=Path("/tmp/reward-figures"))
    parser.add_argument("--prefs", type=Path, help="Pairs from `redline prefs build`.")
    args = parser.parse_args()
    started = time.perf_counter()
    pairs, provenance = file_pairs(args) if args.prefs else hh_pairs(args)
    pairs = assign_splits(pairs, test_fraction=args.test_fraction, seed=0)
    imported = time.perf_counter()
    settings = HeadSettings(epochs=args.epochs)
    source = provenance["source"]
    model = train_embedding_reward_model(pairs, args.output, settings=settings, source=source)
    trained = time.perf_counter()
    _train, test = split_pairs(pairs)
    report = evaluate_reward_model(model, test, evaluated_on=f"{source} (test)")
    evaluated = time.perf_counter()
    print(
        json.dumps(
            {
                "data": {**describe(pairs), **provenance},
                "settings": settings.key(),
                "accuracy": report.accuracy.model_dump(),
                "safety": {k: v.model_dump() for k, v in report.safety.items()},
                "calibration_ece": report.calibration.expected_calibration_error,
                "probes": [p.model_dump() for p in report.probes],
                "correlations": [c.model_dump() for c in report.correlations],
                "seconds": {
                    "pairs": round(imported - started, 1),
                    "train_total": round(trained - imported, 1),
                    "train_embedding": model.card["training"]["embedding_seconds"],
                    "train_head": model.card["training"]["head_seconds"],
                    "evaluate": round(evaluated - trained, 1),
                },
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
