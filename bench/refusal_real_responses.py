"""Refusal scorers on human-labelled real model responses kept out of training.

    PYTHONPATH=src python bench/refusal_real_responses.py [--data-dir ../shared/data]
        [--artifact DIR]   # measure another refusal artifact (e.g. an older one)

Sets (read from ../shared/data, never copied; see redline.classifiers.refusal_sources):
- gptfuzz `evaluate` split: 20 harmful questions none of which is in training
  (the split is by question), unique responses of Vicuna-7B, ChatGPT and
  Llama-2-7B-chat, human-labelled jailbroken / not_jailbroken. Positive class
  "refused" = not_jailbroken. No model field: leave-one-model-out is not possible.
- HarmBench refusal exemplars (never trained on; all refusals: recall only).
- DICES replies that at least twice as many raters call unsafe as safe: not
  refusals by that rule, so the share called `full_refusal` is a false-refusal rate.
- hh-rlhf chosen/rejected replies (no absolute labels): the share called
  `full_refusal` in each, a direction check only.

Figures: F1, precision and recall of "refused" with 95% percentile-bootstrap
intervals over responses and over whole questions (2,000 resamples, seed 0),
under two readings of the three labels: `full_refusal` only (gptfuzz's reading:
a refusal followed by compliance is jailbroken) and full or partial refusal.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from redline.classifiers.refusal_model import RefusalClassifier, is_plain_refusal
from redline.classifiers.refusal_sources import (
    load_dices_unsafe,
    load_gptfuzz,
    load_harmbench_refusals,
    load_hh_rlhf_pairs,
)
from redline.classifiers.refusal_training import binary_figures_with_intervals
from redline.core.errors import ConfigError
from redline.scoring import classify_refusal
from redline.stats.intervals import wilson_interval

# A looser first-person pattern than the classifier's rule: it also finds "I
# can't believe..." in jailbroken answers, so its misses are read, not counted as errors.
LOOSE_FIRST_PERSON = re.compile(
    r"\bI (?:can(?:no|')t|won't|will not|am unable to|'m unable to|must decline)\b", re.I
)


def labels_by_scorer(texts: list[str], classifier: RefusalClassifier) -> dict[str, list[str]]:
    return {
        "refusal": [v.label for v in classifier.classify(texts)],
        "refusal-patterns": [classify_refusal(t)[0] for t in texts],
    }


def measure_labelled(
    texts: list[str], gold: list[bool], groups: list[str], classifier: RefusalClassifier
) -> dict[str, Any]:
    plain = [is_plain_refusal(t) for t in texts]
    loose = [bool(LOOSE_FIRST_PERSON.search(t.replace("\u2019", "'"))) for t in texts]
    out: dict[str, Any] = {}
    for scorer, labels in labels_by_scorer(texts, classifier).items():
        for reading, refused in (
            ("full_refusal only", [label == "full_refusal" for label in labels]),
            ("full or partial", [label != "full_compliance" for label in labels]),
        ):
            entry = binary_figures_with_intervals(gold, refused, groups)
            out[f"{scorer} ({reading})"] = entry
        entry = out[f"{scorer} (full or partial)"]
        for name, found in (("plain_first_person", plain), ("loose_first_person", loose)):
            entry[f"{name}_called_compliance"] = sum(
                p and label == "full_compliance" for p, label in zip(found, labels, strict=True)
            )
            entry[name] = sum(found)
    return out


def rate(labels: list[str], label: str) -> dict[str, Any]:
    k = sum(x == label for x in labels)
    interval = wilson_interval(k, len(labels))
    return {
        "n": len(labels),
        label: k,
        "rate": round(k / max(1, len(labels)), 4),
        "interval": [round(interval.low, 4), round(interval.high, 4)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--artifact", type=Path, default=None)
    args = parser.parse_args()
    classifier = RefusalClassifier(directory=args.artifact)
    results: dict[str, Any] = {
        "artifact": str(args.artifact or "shipped"),
        "response_head": classifier.response_head is not None,
    }
    try:
        held = [r for r in load_gptfuzz(args.data_dir) if r.split == "evaluate"]
        results["gptfuzz evaluate (held-out questions)"] = measure_labelled(
            [r.text for r in held], [r.refused for r in held], [r.group for r in held], classifier
        )
    except ConfigError as exc:
        results["gptfuzz evaluate (held-out questions)"] = {"skipped": str(exc)}
    try:
        harmbench = load_harmbench_refusals(args.data_dir)
        results["harmbench refusals"] = {
            scorer: {
                "full_refusal": rate(labels, "full_refusal"),
                "called full_compliance": rate(labels, "full_compliance"),
            }
            for scorer, labels in labels_by_scorer([r.text for r in harmbench], classifier).items()
        }
    except ConfigError as exc:
        results["harmbench refusals"] = {"skipped": str(exc)}
    try:
        unsafe = load_dices_unsafe(args.data_dir)
        results["dices clearly-unsafe replies (not refusals)"] = {
            scorer: rate(labels, "full_refusal")
            for scorer, labels in labels_by_scorer([r.text for r in unsafe], classifier).items()
        }
    except ConfigError as exc:
        results["dices clearly-unsafe replies (not refusals)"] = {"skipped": str(exc)}
    try:
        pairs = load_hh_rlhf_pairs(args.data_dir)
        chosen = labels_by_scorer([c for c, _ in pairs], classifier)
        rejected = labels_by_scorer([r for _, r in pairs], classifier)
        results["hh-rlhf (direction only)"] = {
            scorer: {
                "chosen full_refusal": rate(chosen[scorer], "full_refusal"),
                "rejected full_refusal": rate(rejected[scorer], "full_refusal"),
            }
            for scorer in chosen
        }
    except ConfigError as exc:
        results["hh-rlhf (direction only)"] = {"skipped": str(exc)}
    print(json.dumps(results, indent=2, default=lambda x: x.item() if np.isscalar(x) else x))


if __name__ == "__main__":
    main()
