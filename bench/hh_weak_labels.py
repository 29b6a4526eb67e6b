"""How many hh-rlhf red-team openers the weak harmful label keeps, and a seeded
sample of them to read by hand (label precision).

    OMP_NUM_THREADS=1 python bench/hh_weak_labels.py [--data-dir ../shared/data]
        [--sample 40] [--seed 0]

Prints the counts of ``redline.classifiers.hh_weak_labels.weak_harmful_openers``
(openers by what the rule made of them, and how many the leakage guard dropped)
as JSON, then ``--sample`` kept openers drawn with ``--seed``, one per line, for
a person to mark "a guard should block this" or not. The marks are not kept
here (the openers are the data set's, not ours): docs/benchmarks.md (hhweak)
records the tally.
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

from redline.classifiers.hh_weak_labels import weak_harmful_openers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found")
    labelled = weak_harmful_openers(args.data_dir)
    print(json.dumps(asdict(labelled.counts), indent=2))
    texts = sorted(e.text for e in labelled.examples)
    picked = random.Random(args.seed).sample(texts, min(args.sample, len(texts)))
    for number, text in enumerate(picked, start=1):
        print(f"{number:3d}  {' '.join(text.split())[:200]}")


if __name__ == "__main__":
    main()
