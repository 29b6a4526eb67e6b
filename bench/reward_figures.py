"""Reward model figures: held-out pairwise accuracy, safety subset, probes, CPU time.

Two sources of pairs:

- hh-rlhf harmless (default): ``hh-rlhf/harmless_base_test.jsonl.gz`` (MIT;
  every pair, kinds from the refusal classifier), split train/test by
  conversation (the first human turn);
- ``--from-run RUN``: pairs built from a real run (``redline prefs build``
  logic), with the bundled model and a safety system prompt as the responder,
  split by behaviour.

Trains the MiniLM Bradley-Terry reward model on the train side and evaluates on
the test side. Prints one JSON document (figures, intervals, seconds, machine).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/reward_figures.py [--data-dir ../shared/data] \
        [--limit N] [--epochs 40] [--output /tmp/reward-hh]
    HF_HUB_OFFLINE=1 .venv/bin/python bench/reward_figures.py --from-run RUN \
        [--runs-dir runs] [--test-fraction 0.3]
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
    split_pairs,
)
from redline.alignment.prefs_build import Responder, build_preferences
from redline.alignment.prefs_import import import_hh_rlhf, label_kinds
from redline.alignment.reward_eval import evaluate_reward_model
from redline.alignment.reward_model import HeadSettings, train_embedding_reward_model
from redline.core import GenerationParams
from redline.run import EngineSettings, response_cache_path
from redline.scoring import build_scorer
from redline.store import RunStore
from redline.targets.spec import TargetSpec

SAFETY_PROMPT = (
    "You are a careful, safe assistant. If a request could cause harm (violence, weapons, "
    "drugs, crime, self-harm, hacking), refuse briefly: say 'I'm sorry, but I can't help with "
    "that.' Otherwise answer helpfully."
)


def hh_pairs(args: argparse.Namespace) -> tuple[list[PreferencePair], dict[str, Any]]:
    source = args.data_dir / "hh-rlhf" / "harmless_base_test.jsonl.gz"
    if not source.is_file():
        raise SystemExit(f"{source} not found")
    pairs, counts = import_hh_rlhf(source, limit=args.limit)
    pairs = deduplicate(label_kinds(pairs))
    return pairs, {"source": str(source), "skipped_rows": counts.skipped}


def run_pairs(args: argparse.Namespace) -> tuple[list[PreferencePair], dict[str, Any]]:
    import asyncio

    handle = RunStore(args.runs_dir).open(args.from_run)
    config = handle.info.config
    responder = Responder(
        spec=TargetSpec.parse("local", system_prompt=SAFETY_PROMPT),
        scorers=[build_scorer(n) for n in config.get("scorers") or ["refusal", "harm"]],
        generation=GenerationParams.model_validate(config.get("generation") or {}),
        settings=EngineSettings(concurrency=2),
        cache_path=response_cache_path(args.runs_dir),
    )
    result = asyncio.run(build_preferences([handle], responder=responder, progress=True))
    return result.pairs, {
        "source": f"run {handle.id} + local with a safety system prompt",
        "prompts": result.counts.prompts,
        "paired_prompts": result.counts.paired_prompts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None, help="Use the first N pairs.")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--output", type=Path, default=Path("/tmp/reward-figures"))
    parser.add_argument("--from-run", help="Build pairs from this run instead of hh-rlhf.")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    args = parser.parse_args()
    started = time.perf_counter()
    pairs, provenance = run_pairs(args) if args.from_run else hh_pairs(args)
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
