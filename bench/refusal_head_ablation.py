"""Which training data and features the refusal response head needs (issue 10 item 5).

    PYTHONPATH=src python bench/refusal_head_ablation.py [--data-dir ../shared/data]

Every variant is trained on gptfuzz's `train` split (80 questions; texts equal or
near-identical to a held-out text removed) and/or our written supplement, and
measured on the `evaluate` split (20 other questions) at the 0.5 cut-off and at
the cut-off chosen on grouped out-of-fold predictions. Variants:

- written supplement only (what a head without real responses learns);
- gptfuzz only;
- gptfuzz + written supplement (the shipped recipe);
- the shipped recipe plus segment features stacked on the n-gram score: share of
  refusal and content segments, relative position of the first refusal, content
  after it, a plain first-person refusal, log length, number of segments,
  persona markers ("DAN:", "[GPT]:").
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from redline.classifiers.refusal_model import RefusalClassifier, is_plain_refusal, split_segments
from redline.classifiers.refusal_sources import LabelledResponse
from redline.classifiers.refusal_training import (
    best_f1_threshold,
    binary_figures_with_intervals,
    fit_response_head,
    grouped_cross_validation,
    load_segment_templates,
    public_content,
    response_examples,
)

PERSONA = re.compile(r"^\W{0,3}\[?[A-Z][\w .-]{1,20}\]?:", re.M)


def segment_features(texts: Sequence[str], segments: RefusalClassifier) -> np.ndarray:
    rows = []
    for text in texts:
        pieces = split_segments(text)
        labels = [label for label, _ in segments.label_segments(pieces)]
        n = max(1, len(labels))
        refusals = [i for i, label in enumerate(labels) if label == "refusal"]
        content = [i for i, label in enumerate(labels) if label == "content"]
        after = sum(1 for i in content if refusals and i > refusals[0])
        rows.append(
            [
                len(refusals) / n,
                len(content) / n,
                refusals[0] / n if refusals else 1.0,
                after / n,
                float(is_plain_refusal(text)),
                np.log1p(len(text)) / 8,
                np.log1p(n) / 4,
                min(len(PERSONA.findall(text)), 5) / 5,
            ]
        )
    return np.array(rows, dtype=float)


def figures(
    held: Sequence[LabelledResponse], probabilities: np.ndarray, cut: float
) -> dict[str, Any]:
    gold = [r.refused for r in held]
    groups = [r.group for r in held]
    out: dict[str, Any] = {"cut": cut}
    for name, at in (("at 0.5", 0.5), ("at the CV cut-off", cut)):
        entry = binary_figures_with_intervals(gold, list(probabilities >= at), groups)
        out[name] = {k: entry[k] for k in ("f1", "f1_interval_groups", "precision", "recall")}
    return out


def variant(
    train: Sequence[LabelledResponse], held: Sequence[LabelledResponse], *, seed: int = 0
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    oof, _ = grouped_cross_validation(train, seed=seed)
    real = np.array([e.source == "gptfuzz" for e in train])
    gold = np.array([e.refused for e in train])
    cut = best_f1_threshold(gold[real], oof[real]) if real.any() else 0.5
    head = fit_response_head(train, seed=seed)
    probabilities = head.predict_proba([r.text for r in held])[:, 0]
    return figures(held, probabilities, cut), oof, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    rng = random.Random(0)
    words = load_segment_templates()
    public = public_content(args.data_dir, rng=rng)
    train, held = response_examples(args.data_dir, rng, words, public=public)
    real = [e for e in train if e.source == "gptfuzz"]
    written = [e for e in train if e.source != "gptfuzz"]
    results: dict[str, Any] = {"train": len(real), "supplement": len(written), "held": len(held)}
    results["written supplement only"], _, _ = variant(written, held)
    results["gptfuzz only"], _, _ = variant(real, held)
    shipped, oof, probabilities = variant(train, held)
    results["gptfuzz + supplement"] = shipped
    segments = RefusalClassifier()
    logit = np.log(np.clip(oof, 1e-6, 1 - 1e-6) / np.clip(1 - oof, 1e-6, 1))
    stack_train = np.c_[logit, segment_features([e.text for e in train], segments)]
    stacker = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    stacker.fit(stack_train, [e.refused for e in train])
    held_logit = np.log(np.clip(probabilities, 1e-6, 1) / np.clip(1 - probabilities, 1e-6, 1))
    stacked = stacker.predict_proba(
        np.c_[held_logit, segment_features([r.text for r in held], segments)]
    )[:, 1]
    results["gptfuzz + supplement + segment features"] = figures(held, stacked, 0.5)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
