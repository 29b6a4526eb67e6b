"""How many hh-rlhf red-team openers the weak harmful label keeps, and a seeded
sample of them to read by hand (label precision).

    OMP_NUM_THREADS=1 python bench/hh_weak_labels.py [--data-dir ../shared/data]
        [--sample 40] [--seed 0] [--rule preference|preference+harmful-answer]
        [--answer-cut max-f1|production] [--scores] [--opener-above X]

Prints the counts of ``redline.classifiers.hh_weak_labels.weak_harmful_openers``
under ``--rule`` (openers by what the rule made of them, and how many the leakage guard dropped)
as JSON, then ``--sample`` kept openers drawn with ``--seed``, one per line, for
a person to mark "a guard should block this" or not. The marks are not kept
here (the openers are the data set's, not ours): docs/benchmarks.md (hhweak)
records the tally (hhweak: the preference rule; hhweak2: with the harmful answer).
``--answer-cut`` picks the harm head's cut-off for the second rule's answers.
``--scores`` adds, before each opener, the highest score the shipped harm head
gives (as an output, label ``harmful``) to any of its rejected replies: whether
the marks follow that score says whether a stricter cut would clean the label.
``--opener-above X`` probes the brief's candidate c without building it into the
rule: only kept openers the shipped harm head (trained without hh-rlhf) scores
at least X as inputs (label ``harmful``, raw probability) are counted and sampled.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from redline.classifiers.classifier import load_classifier
from redline.classifiers.hh_weak_labels import (
    HARMFUL_ANSWER,
    HH_FILE,
    MAX_F1,
    PREFERENCE,
    PRODUCTION,
    harmful_scores,
    weak_harmful_openers,
)
from redline.classifiers.public_sources import read_jsonl_gz
from redline.classifiers.splits import fold_text


def rejected_scores(data_dir: Path) -> dict[str, float]:
    """Per folded opener, the harm head's highest score of its rejected replies."""
    rows = list(read_jsonl_gz(data_dir / HH_FILE))
    scores = harmful_scores(load_classifier("harm"), [r["rejected_last_response"] for r in rows])
    best: dict[str, float] = {}
    for row, score in zip(rows, scores, strict=True):
        key = fold_text(row["text"])
        best[key] = max(best.get(key, 0.0), float(score))
    return best


def openers_scored_above(texts: list[str], cut: float) -> list[str]:
    """``texts`` the shipped harm head scores at least ``cut`` (label ``harmful``)."""
    scores = harmful_scores(load_classifier("harm"), texts)
    return [text for text, score in zip(texts, scores, strict=True) if score >= cut]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", choices=(PREFERENCE, HARMFUL_ANSWER), default=PREFERENCE)
    parser.add_argument("--answer-cut", choices=(MAX_F1, PRODUCTION), default=MAX_F1)
    parser.add_argument("--scores", action="store_true")
    parser.add_argument("--opener-above", type=float, default=None)
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found")
    labelled = weak_harmful_openers(args.data_dir, args.rule, args.answer_cut)
    print(json.dumps(asdict(labelled.counts), indent=2))
    texts = sorted(e.text for e in labelled.examples)
    if args.opener_above is not None:
        texts = openers_scored_above(texts, args.opener_above)
        print(f"openers the harm head scores >= {args.opener_above}: {len(texts)}")
    picked = random.Random(args.seed).sample(texts, min(args.sample, len(texts)))
    best = rejected_scores(args.data_dir) if args.scores else {}
    for number, text in enumerate(picked, start=1):
        score = f"{best[fold_text(text)]:.3f}  " if args.scores else ""
        print(f"{number:3d}  {score}{' '.join(text.split())[:200]}")


if __name__ == "__main__":
    main()
