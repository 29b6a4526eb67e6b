"""Two trees' harm scanners compared at the same benign block count: whether a
retrained harm head ranks better, or only blocks more because its cut-off moved.

    OMP_NUM_THREADS=1 python bench/guard_matched_rate.py --json BEFORE.json
    OMP_NUM_THREADS=1 python bench/guard_matched_rate.py --json AFTER.json --against BEFORE.json

Every prompt of ``bench/guard_hazard_requests.py``'s benign and harmful prompt sets
(Davidson's tweets and the replies left out) goes through the default policy on the
input side; a text's record is the highest of its harm scores (each already scaled
so that the policy blocks at 0.5) and whether another scanner blocks it. With
``--against``, the earlier tree is read at the policy's 0.5, and this tree at the
harm cut-off (searched in steps of 0.001) at which the benign sets together block
as many texts as the earlier tree did: per set, blocked before, after as shipped
(0.5) and after at that matched cut-off. Run the first command on the tree before
the change (``PYTHONPATH=that/tree/src``). About a minute on one core.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from guard_hazard_requests import public_sets
from guard_verdict_diff import before_and_after_args
from rich.progress import track

from redline.guard import Guard

LEFT_OUT = ("Davidson tweets (all labels)",)
# The benign sets whose block count is matched: ordinary prompts, real and written.
MATCHED = ("ToxicChat non-toxic (train + test)", "Alpaca instructions", "MMLU questions")

# set name -> {"kind": ..., "harm": [highest harm score per text], "other": [blocked by
# another scanner per text]}
Records = dict[str, dict[str, Any]]


def records(data_dir: Path) -> Records:
    """set name -> kind, harm score per text, and whether another scanner blocks it."""
    guard = Guard.default()
    out: Records = {}
    for name, (kind, load) in track(public_sets(data_dir).items(), description="public sets"):
        if kind.endswith("reply") or name in LEFT_OUT:
            continue
        verdicts = guard.check_batch(load(), side="input")
        out[name] = {
            "kind": kind,
            "harm": [
                round(max(v.scores.get("harm", {}).values(), default=0.0), 4) for v in verdicts
            ],
            "other": [
                any(f.action == "block" and f.scanner != "harm" for f in v.findings)
                for v in verdicts
            ],
        }
    return out


def blocked(row: dict[str, Any], cut: float) -> int:
    harm, other = np.array(row["harm"]), np.array(row["other"], dtype=bool)
    return int((other | (harm >= cut)).sum())


def matched_cut(before: Records, after: Records) -> float:
    """The cut at which this tree blocks the number of matched benign texts nearest to
    the earlier tree's at 0.5, the highest such cut on a tie."""
    target = sum(blocked(before[n], 0.5) for n in MATCHED)
    cuts = np.round(np.arange(0.300, 1.0005, 0.001), 3)
    counts = [sum(blocked(after[n], c) for n in MATCHED) for c in cuts]
    best = min(range(len(cuts)), key=lambda i: (abs(counts[i] - target), -cuts[i]))
    return float(cuts[best])


def compare(before: Records, after: Records) -> None:
    cut = matched_cut(before, after)
    print(f"matched cut: {cut:.3f} (the policy blocks at 0.5)")
    print(f"| set | kind | texts | before | after | after at {cut:.3f} |")
    print("|---|---|---|---|---|---|")
    for name, row in after.items():
        if name not in before or len(before[name]["harm"]) != len(row["harm"]):
            print(f"| {name} | | | (not comparable: the set differs) | | |")
            continue
        print(
            f"| {name} | {row['kind']} | {len(row['harm']):,} | {blocked(before[name], 0.5)} "
            f"| {blocked(row, 0.5)} | {blocked(row, cut)} |"
        )


def main() -> None:
    args, before = before_and_after_args(__doc__)
    after = records(args.data_dir)
    args.json.write_text(json.dumps(after) + "\n")
    if before is not None:
        compare(before, after)


if __name__ == "__main__":
    main()
