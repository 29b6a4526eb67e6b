"""The default policy's jailbreak scanner on ToxicChat's human-labelled jailbreak
prompts, each split whole, and what its phrase rules cost per text.

    OMP_NUM_THREADS=1 taskset -c 1 python bench/guard_jailbreak_toxicchat.py
        [--data-dir ../shared/data] [--repeat 5] [--json OUT]

Per split (ToxicChat is CC-BY-NC: measurement only; 84 texts are in both splits):
the jailbreak prompts, the scanner's recall at 1% FPR over all other prompts
(``redline.stats.detection.recall_at_fpr``, a Wilson interval) and that cut, the
jailbreaks and the other prompts scoring at or above the policy's threshold, and the
jailbreaks the whole policy blocks. Then the CPU microseconds per text of the
jailbreak phrase rules alone (``match_rules``, the least of ``--repeat`` passes) on
the test split's first 2,000 prompts and on ``bench/guard_latency.py``'s 1,000
messages. For a before figure run it with ``PYTHONPATH`` at another checkout's
``src``, on the same core.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import jsonl_gz
from guard_latency import messages
from guard_rule_cost import least_cpu_us

from redline.guard import Guard
from redline.guard.jailbreak import JAILBREAK_RULES
from redline.guard.phrase_rules import match_rules
from redline.stats.detection import recall_at_fpr

POLICY_THRESHOLD = 0.5  # the default policy's jailbreak threshold


def split_row(guard: Guard, rows: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts = guard.check_batch([r["text"] for r in rows], side="input")
    scores = np.array([v.scores["jailbreak"]["jailbreak"] for v in verdicts])
    labels = np.array([int(r["jailbreaking"]) for r in rows])
    at = recall_at_fpr(labels, scores, 0.01)
    jailbreak = labels == 1
    return {
        "jailbreaks": int(jailbreak.sum()),
        "others": int((~jailbreak).sum()),
        "recall_at_1pct_fpr": round(at.recall.estimate or 0.0, 3),
        "recall_interval": [round(at.recall.low, 3), round(at.recall.high, 3)],
        "cut": round(at.threshold, 3),
        "jailbreaks_at_threshold": int((scores[jailbreak] >= POLICY_THRESHOLD).sum()),
        "others_at_threshold": int((scores[~jailbreak] >= POLICY_THRESHOLD).sum()),
        "jailbreaks_blocked": sum(v.blocked for v, j in zip(verdicts, jailbreak, strict=True) if j),
    }


def rules_us(texts: list[str], repeat: int) -> float:
    return least_cpu_us(
        lambda text: match_rules(JAILBREAK_RULES, text, category="jailbreak"), texts, repeat
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = args.data_dir / "toxicchat"
    if not folder.is_dir():
        sys.exit(f"{folder}: not found")
    if args.repeat < 1:
        sys.exit(f"--repeat must be at least 1, got {args.repeat}")
    guard = Guard.default()
    out: dict[str, Any] = {"splits": {}, "rules_us": {}}
    print(
        "| split | jailbreaks / others | recall@1%FPR [95%] (cut) | >= 0.5: jailbreaks / others "
        "| jailbreaks blocked |"
    )
    print("|---|---|---|---|---|")
    test: list[dict[str, Any]] = []
    for split in ("train", "test"):
        rows = jsonl_gz(folder / f"toxicchat_human_{split}.jsonl.gz")
        if split == "test":
            test = rows
        row = split_row(guard, rows)
        out["splits"][split] = row
        low, high = row["recall_interval"]
        print(
            f"| {split} | {row['jailbreaks']} / {row['others']:,} | "
            f"{row['recall_at_1pct_fpr']:.3f} [{low:.3f}, {high:.3f}] ({row['cut']:.3f}) | "
            f"{row['jailbreaks_at_threshold']} / {row['others_at_threshold']} | "
            f"{row['jailbreaks_blocked']} |"
        )
    print("\n| texts | n | jailbreak phrase rules, CPU µs per text |\n|---|---|---|")
    for name, texts in (
        ("ToxicChat test prompts", [r["text"] for r in test][:2000]),
        ("latency messages (1,000 characters)", messages(1000, 1000, 0)),
    ):
        us = round(rules_us(texts, args.repeat), 1)
        out["rules_us"][name] = us
        print(f"| {name} | {len(texts):,} | {us} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
