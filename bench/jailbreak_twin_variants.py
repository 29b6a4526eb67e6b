"""Train the jailbreak model of a role-prompt twin variant, as `redline train guard
--models jailbreak` would, for the ship check (bench/guard_failure_cases.py with the
artifact in a copy of ``src/``).

    OMP_NUM_THREADS=1 python bench/jailbreak_twin_variants.py VARIANT --out DIR

VARIANT: ``shipped`` (the recipe as committed: rule twins only), ``both`` (rule and
jailbreak twins), ``half`` (rule twins, and jailbreak twins for half the prompts by a
hash of the group, as ``jailbreak_role_prompts.py``'s ``half-twins+rules+encoded``).
The disguises are ``guard_disguises.DISGUISES`` (the encodings jailbreak positives).
"""

from __future__ import annotations

import argparse
import os
import zlib
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.labelled import Example
from redline.classifiers.training import parse_features, train_guard_models
from redline.classifiers.training_data import (
    JAILBREAK_TWIN,
    RULE_TWIN,
    SHIPPED_ROLE_TWINS,
    TrainingData,
    assemble_training_data,
)


def half(e: Example) -> bool:
    return not e.source.endswith(JAILBREAK_TWIN) or zlib.crc32(e.group.encode()) % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant", choices=("shipped", "both", "half"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    kinds = SHIPPED_ROLE_TWINS if args.variant == "shipped" else (JAILBREAK_TWIN, RULE_TWIN)
    data = assemble_training_data(
        args.data_dir, seed=0, disguiser=AttackDisguiser(), role_twins=kinds
    )
    if args.variant == "half":
        data = TrainingData(
            [e for e in data.examples if half(e)], data.sources, data.data_dir, data.notes
        )
    train_guard_models(
        data,
        out=args.out,
        seed=0,
        models=["jailbreak"],
        command=f"bench/jailbreak_twin_variants.py {args.variant}",
        progress=lambda message: None,
        features=parse_features("hashed+static"),
    )


if __name__ == "__main__":
    main()
