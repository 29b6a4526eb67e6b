"""How far the guard heads' production cut-offs move with the seed and with one data
change, under the old max-F1 floor and the F1 plateau's middle (shipped since the
fifteenth session, t = 0.01).

    OMP_NUM_THREADS=1 python bench/guard_cut_floor.py [--data-dir ../shared/data]
        [--seeds 0,1] [--models harm,jailbreak,injection] [--json OUT]

The production cut-off is the higher of the 1% balanced benign-mix cut and a floor;
a model's combined head's floor was its max-F1 cut-off on out-of-fold scores and is
now the middle of its F1 plateau (``training.production_floors``). For the injection
head the floor is the higher of the two in every run measured, and max-F1 sits on a
flat stretch of the F1 curve, so a small change of data moved its arg-max far
(docs/benchmarks.md, "Tables with swapped cells": 0.64-0.79 across variants of one
recipe).

For each seed, the recipe of ``redline train guard`` is run; for the injection head
also without the tables with swapped cells (``public_sources.
_tables_with_swapped_cells``, patched to yield nothing; they are injection data
only, so harm and jailbreak would see the same data twice). On each model's
combined head's out-of-fold scores these cut-offs are computed:

- ``1% mix``: the balanced benign-mix cut of the input side
  (``training.calibrate_sides`` with a zero floor);
- ``max-F1``: the floor before the fifteenth session;
- ``F1 plateau, t``: the median of the thresholds whose F1 is within ``t`` of the
  maximum (t = 0.002, 0.005, 0.01; ``training.threshold_f1_plateau``): the middle
  of the flat stretch, not its arg-max. t = 0.01 is the shipped floor.

Reported per model: each cut-off per configuration, and each rule's spread over the
seeds and its shift with the data change.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers import public_sources
from redline.classifiers.classifier import SHIPPED_MODELS
from redline.classifiers.labelled import Example
from redline.classifiers.public_sources import INJECTION_WINDOW
from redline.classifiers.splits import DEV_FRACTION, split_by_group
from redline.classifiers.training import (
    calibrate_sides,
    fit_classifier,
    head_specs,
    max_f1_cutoffs,
    out_of_fold_scores,
    parse_features,
    threshold_f1_plateau,
)
from redline.classifiers.training_data import TrainingData, assemble_training_data

PLATEAU_TOLERANCES = (0.002, 0.005, 0.01)


def training_data(data_dir: Path, seed: int, *, swapped: bool) -> TrainingData:
    """``redline train guard``'s data for ``seed``, with or without the swapped tables."""
    original = public_sources._tables_with_swapped_cells

    def nothing(path: Path, *, seed: int) -> Iterator[Example]:
        return iter(())

    if not swapped:
        public_sources._tables_with_swapped_cells = nothing
    try:
        return assemble_training_data(data_dir, seed=seed, disguiser=AttackDisguiser())
    finally:
        public_sources._tables_with_swapped_cells = original


def cut_offs(data: TrainingData, model: str, seed: int) -> dict[str, float]:
    """Each rule's cut-off on ``model``'s combined head's out-of-fold scores."""
    examples = data.for_task(model)
    train, _dev = split_by_group(examples, seed=seed, dev_fraction=DEV_FRACTION)
    specs = head_specs(model, train)[:1]  # the combined head, the one with a floor to choose
    features = parse_features()  # redline train guard's default: hashed+static
    window = INJECTION_WINDOW if model == "injection" else 0
    fitted = fit_classifier(model, train, specs, seed=seed, features=features, window_chars=window)
    scores = out_of_fold_scores(
        model,
        examples,
        specs,
        dev_model=fitted,
        seed=seed,
        features=features,
        window_chars=window,
    )[:, 0]
    label = specs[0].label
    # The production calibration with a zero floor: its input cut-off is the 1% cut.
    report = calibrate_sides(fitted, examples, specs, scores=scores[:, None], floors={label: 0.0})
    keep = ~np.isnan(scores)
    y = np.array([bool(specs[0].target(e)) for e in examples])[keep]
    cuts = {
        "1% mix": report["input"]["thresholds"][label],
        "max-F1": max_f1_cutoffs(examples, scores[:, None], specs)[label],
    }
    for tolerance in PLATEAU_TOLERANCES:
        cuts[f"F1 plateau, {tolerance}"] = threshold_f1_plateau(y, scores[keep], tolerance)
    return cuts


def table(model: str, runs: list[dict[str, Any]]) -> None:
    """Each rule's cut-offs for ``model``, its seed spread and its shift with the change."""
    runs = [r for r in runs if model in r["cuts"]]
    header = " | ".join(f"seed {r['seed']}{', swapped' if r['swapped'] else ''}" for r in runs)
    print(f"\n{model}\n\n| rule | {header} | seed spread | shift with the change |")
    print("|---|" + "---|" * (len(runs) + 2))
    for rule in runs[0]["cuts"][model]:
        values = [r["cuts"][model][rule] for r in runs]
        spreads = []
        for swapped in (False, True):
            same = [r["cuts"][model][rule] for r in runs if r["swapped"] == swapped]
            if len(same) > 1:
                spreads.append(max(same) - min(same))
        shifts = [
            abs(a["cuts"][model][rule] - b["cuts"][model][rule])
            for a in runs
            for b in runs
            if a["seed"] == b["seed"] and not a["swapped"] and b["swapped"]
        ]
        cells = " | ".join(f"{v:.4f}" for v in values)
        spread = f"{max(spreads):.4f}" if spreads else "-"
        shift = f"{max(shifts):.4f}" if shifts else "-"
        print(f"| {rule} | {cells} | {spread} | {shift} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--models", default=",".join(SHIPPED_MODELS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.data_dir / "bipia").is_dir():
        parser.error(f"{args.data_dir} holds no bipia/ folder: pass --data-dir ../shared/data")
    models = [m for m in args.models.split(",") if m]
    unknown = sorted(set(models) - set(SHIPPED_MODELS))
    if unknown:
        known = ", ".join(SHIPPED_MODELS)
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {known}")
    seeds = [int(s) for s in args.seeds.split(",")]
    runs: list[dict[str, Any]] = []
    for seed in seeds:
        for swapped in (False, True):
            # The swapped tables are injection data only: the other models would see
            # the same data twice, so they are measured on the current recipe alone.
            wanted = [m for m in models if swapped or m == "injection"]
            if not wanted:
                continue
            print(f"seed {seed}, swapped tables {swapped} ...", file=sys.stderr, flush=True)
            data = training_data(args.data_dir, seed, swapped=swapped)
            cuts = {model: cut_offs(data, model, seed) for model in wanted}
            runs.append({"seed": seed, "swapped": swapped, "cuts": cuts})
            if args.json:
                args.json.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    for model in models:
        table(model, runs)


if __name__ == "__main__":
    main()
