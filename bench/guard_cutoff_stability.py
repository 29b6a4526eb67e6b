"""How far the guard's production cut-offs move when the training data moves a
little, under the dev-split derivation and the cross-fitted one.

    OMP_NUM_THREADS=1 python bench/guard_cutoff_stability.py [--data-dir ../shared/data]
        [--seeds 0,1,2] [--json OUT]
    python bench/guard_cutoff_stability.py --markdown OUT

Each configuration is ``redline train guard``'s recipe before branch streamdisg
(``DISGUISES`` less ``STREAMED_DISGUISES``, so the figures in docs/benchmarks.md
reproduce) with one seed (the seed picks the data sample and the dev split, as
``--seed`` does), plus seed 0 with the two converters the failure bench found
(``STREAMED_DISGUISES``) added to the training disguises: the change that swung the
cut-offs, shipped since branch streamdisg. For every model
and head it records the pieces the cut-off is made of:

- ``dev``: the 1% cut on the dev split's balanced benign mix and the dev max-F1
  cut-off (the shipped derivation takes the higher);
- ``oof``: the same two on out-of-fold scores over the whole pool
  (``training.out_of_fold_scores``: five group folds, fold 0 the dev split);

and, for the combined heads, how much of fixed sets that no configuration trains
on each derivation's cut-off flags, with the model of that configuration (raw
classifier scores, no decoded views or phrase rules): Alpaca instructions,
ToxicChat non-toxic prompts and the long BIPIA tables training never reads
(false positives); GPTFuzz's 100 harmful questions and ToxicChat's jailbreaks
(recall).

Derivations compared (input side; ``max`` of the two pieces named):
``shipped`` = dev 1% / dev max-F1; ``oof-f1`` = OOF 1% / OOF max-F1;
``oof-0.5`` = OOF 1% / 0.5 (a class-balanced logistic head's own boundary).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from redline.attacks.guard_disguises import DISGUISES, STREAMED_DISGUISES, AttackDisguiser
from redline.classifiers.classifier import SHIPPED_MODELS
from redline.classifiers.public_sources import INJECTION_WINDOW, bipia_measurement_only
from redline.classifiers.splits import split_by_group
from redline.classifiers.training import (
    SharedFeatures,
    calibrate_and_evaluate,
    cut_at_balanced_fpr,
    fit_classifier,
    head_specs,
    is_response,
    max_f1_cutoffs,
    mix_source,
    out_of_fold_scores,
    parse_features,
)
from redline.classifiers.training_data import assemble_training_data

DERIVATIONS = ("shipped", "oof-f1", "oof-0.5")
LIMIT = 600


def input_balanced_cut(examples: list, scores: np.ndarray, combined: Any) -> np.ndarray:
    """Per head, the 1% cut on the balanced benign input mix of ``examples``."""
    mix = [i for i, e in enumerate(examples) if combined.target(e) is False and not is_response(e)]
    cuts = []
    for col in range(scores.shape[1]):
        rows = [i for i in mix if not np.isnan(scores[i, col])]
        cuts.append(cut_at_balanced_fpr(scores[rows, col], [mix_source(examples[i]) for i in rows]))
    return np.array(cuts)


def positives(examples: list, specs: list) -> list[int]:
    return [sum(1 for e in examples if s.target(e)) for s in specs]


def jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fixed_sets(d: Path) -> dict[str, tuple[str, list[str]]]:
    """(model, texts) per measurement set; the same texts for every configuration."""
    rng = random.Random(0)
    alpaca = [r["instruction"] for r in json.loads((d / "benign/harmless_val.json").read_text())]
    tc = jsonl_gz(d / "toxicchat/toxicchat_human_test.jsonl.gz")
    nontoxic = [r["text"] for r in tc if r["toxicity"] == 0 and r["jailbreaking"] == 0]
    jailbreaks = [r["text"] for r in tc if r["jailbreaking"] == 1]
    rows = (d / "bipia/table/train.jsonl").read_text().splitlines()
    tables = []
    for i, line in enumerate(rows):
        context = json.loads(line)["context"]
        context = "\n".join(context) if isinstance(context, list) else context
        if bipia_measurement_only("table", i) and len(context) >= 500:
            tables.append(context)
    gptfuzz = sorted(
        {r["prompt"] for r in jsonl_gz(d / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")}
    )
    sample = lambda items: rng.sample(items, min(LIMIT, len(items)))  # noqa: E731
    return {
        "alpaca": ("benign", sample(alpaca)),
        "toxicchat_nontoxic": ("benign", sample(nontoxic)),
        "bipia_tables_held_out": ("benign", sample(tables)),
        "gptfuzz_questions": ("harm", gptfuzz),
        "toxicchat_jailbreaks": ("jailbreak", jailbreaks),
    }


def measure_config(
    name: str, seed: int, disguises: tuple, d: Path, sets: dict, say: Any
) -> dict[str, Any]:
    start = time.perf_counter()
    data = assemble_training_data(d, seed=seed, disguiser=AttackDisguiser(disguises))
    shared = SharedFeatures(data.examples, parse_features())
    out: dict[str, Any] = {"config": name, "seed": seed, "models": {}}
    for model in SHIPPED_MODELS:
        examples = data.for_task(model)
        train, dev = split_by_group(examples, seed=seed)
        specs = head_specs(model, train)
        window = INJECTION_WINDOW if model == "injection" else 0
        say(f"[{name}] {model}: fitting")
        clf = fit_classifier(model, train, specs, seed=seed, window_chars=window, shared=shared)
        calibrate_and_evaluate(clf, dev, specs)
        dev_scores = clf.predict_proba([e.text for e in dev])
        oof = out_of_fold_scores(
            model, examples, specs, dev_model=clf, seed=seed, shared=shared,
            window_chars=window, progress=say,
        )  # fmt: skip
        heads: dict[str, Any] = {}
        dev_bal = input_balanced_cut(dev, dev_scores, specs[0])
        oof_bal = input_balanced_cut(examples, oof, specs[0])
        oof_f1 = max_f1_cutoffs(examples, oof, specs)
        dev_pos, oof_pos = positives(dev, specs), positives(examples, specs)
        for col, spec in enumerate(specs):
            pieces = {
                "dev_1pct": float(dev_bal[col]),
                "dev_max_f1": float(clf.thresholds[spec.label]),
                "oof_1pct": float(oof_bal[col]),
                "oof_max_f1": float(oof_f1[spec.label]),
            }
            heads[spec.label] = {
                **{k: round(v, 6) for k, v in pieces.items()},
                "dev_positives": dev_pos[col],
                "oof_positives": oof_pos[col],
                "cuts": cutoffs(pieces),
            }
        combined = specs[0].label
        rates: dict[str, Any] = {}
        for set_name, (kind, texts) in sets.items():
            if kind not in ("benign", model):
                continue
            s = clf.predict_proba(texts)[:, 0]
            rates[set_name] = {
                "kind": "flagged" if kind == "benign" else "recall",
                "n": len(texts),
                **{k: round(float((s >= c).mean()), 4) for k, c in heads[combined]["cuts"].items()},
            }
        out["models"][model] = {"heads": heads, "fixed_sets": rates}
    out["seconds"] = round(time.perf_counter() - start)
    say(f"[{name}] done in {out['seconds']} s")
    return out


def cutoffs(p: dict[str, float]) -> dict[str, float]:
    return {
        "shipped": round(max(p["dev_1pct"], p["dev_max_f1"]), 6),
        "oof-f1": round(max(p["oof_1pct"], p["oof_max_f1"]), 6),
        "oof-0.5": round(max(p["oof_1pct"], 0.5), 6),
    }


def markdown(results: list[dict[str, Any]]) -> str:
    """Per head: each derivation's cut-off per configuration, the spread over the
    seeds, and the shift that adding the two disguises makes at seed 0."""
    seeds = [r for r in results if r["config"].startswith("seed")]
    added = next((r for r in results if r["config"] == "+2 disguises"), None)
    base0 = next((r for r in seeds if r["seed"] == 0), None)
    names = [r["config"] for r in seeds] + (["+2 disguises"] if added else [])
    lines = [
        "| model / head | derivation | " + " | ".join(names) + " | seed spread | +2 shift |",
        "|---|---|" + "---|" * (len(names) + 2),
    ]
    for model in SHIPPED_MODELS:
        labels = list(seeds[0]["models"][model]["heads"])
        for label in labels:
            for derivation in DERIVATIONS:
                values = [
                    r["models"][model]["heads"].get(label, {}).get("cuts", {}).get(derivation)
                    for r in seeds
                ]
                present = [v for v in values if v is not None]
                spread = max(present) - min(present) if present else float("nan")
                shift = ""
                extra = ""
                if added and base0:
                    new = added["models"][model]["heads"].get(label, {}).get("cuts", {})
                    old = base0["models"][model]["heads"][label]["cuts"][derivation]
                    if derivation in new:
                        extra = f" | {new[derivation]:.4f}"
                        shift = f"{abs(new[derivation] - old):.4f}"
                cells = " | ".join("-" if v is None else f"{v:.4f}" for v in values)
                head = f"| {model} / {label} | {derivation} | {cells}{extra}"
                lines.append(f"{head} | {spread:.4f} | {shift} |")
    lines += ["", "| model | fixed set | derivation | " + " | ".join(names) + " | range |"]
    lines.append("|---|---|---|" + "---|" * (len(names) + 1))
    ordered = seeds + ([added] if added else [])
    for model in SHIPPED_MODELS:
        for set_name, row in seeds[0]["models"][model]["fixed_sets"].items():
            for derivation in DERIVATIONS:
                values = [r["models"][model]["fixed_sets"][set_name][derivation] for r in ordered]
                cells = " | ".join(f"{v:.1%}" for v in values)
                span = max(values) - min(values)
                lines.append(
                    f"| {model} | {set_name} ({row['kind']}, {row['n']}) | {derivation} | "
                    f"{cells} | {span:.1%} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--no-added", action="store_true", help="skip the +2 disguises run")
    parser.add_argument("--json", type=Path, help="write results here (after each run)")
    parser.add_argument("--markdown", type=Path, help="print the tables of a --json file")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return
    if not args.data_dir.is_dir():
        sys.exit(f"--data-dir {args.data_dir}: not found")

    def say(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    sets = fixed_sets(args.data_dir)
    base = tuple(d for d in DISGUISES if d not in STREAMED_DISGUISES)
    configs = [(f"seed {s}", int(s), base) for s in args.seeds.split(",")]
    if not args.no_added:  # second, so the comparison that matters comes early
        configs.insert(1, ("+2 disguises", 0, base + STREAMED_DISGUISES))
    results = []
    for name, seed, disguises in configs:
        results.append(measure_config(name, seed, disguises, args.data_dir, sets, say))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
