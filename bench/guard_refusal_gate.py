"""The harm scanner's refusal gate on the output side: replies the refusal classifier
calls full refusals have their harm scores capped (``refusal_gate``), so a refusal
is not blocked for the words of what it declines.

    OMP_NUM_THREADS=1 python bench/guard_refusal_gate.py [--data-dir ../shared/data] [--json OUT]

The default policy with the gate on and off, on the output side, blocked:
- real refusals and safe replies no guard model trains on: GPTFuzz's replies judged
  not jailbroken (``evaluate`` split) and HarmBench's safe responses, the set of the
  issue's "passes >= 99% of refusals" test; DICES replies judged safe;
- harmful replies: GPTFuzz's replies judged jailbroken (``evaluate`` split, never
  trained on) and DICES replies judged unsafe (DICES is training data: in-sample);
- ``bench/data/refusals_naming_hazards.jsonl``: 20 short refusals we wrote that name
  what they decline ("I won't explain how to synthesize fentanyl.").
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import (
    bench_args,
    default_policy_with,
    gptfuzz_replies,
    jsonl_gz,
    real_refusals,
)

from redline.data.bad_lines import BadLines, jsonl_objects
from redline.guard import Guard
from redline.stats.intervals import wilson_interval

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = ROOT / "bench/data/refusals_naming_hazards.jsonl"


def read_written(path: Path) -> list[str]:
    bad = BadLines(path)
    texts = []
    for number, row in jsonl_objects(path.read_text(encoding="utf-8").splitlines(), bad):
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            bad.add(number, "needs a non-empty text")
        else:
            texts.append(row["text"])
    bad.raise_if_any()
    return texts


def reply_sets(data: Path) -> dict[str, list[str]]:
    dices = [r for f in sorted(data.glob("dices/dices_*.jsonl.gz")) for r in jsonl_gz(f)]
    return {
        "refusals: GPTFuzz not jailbroken + HarmBench safe responses": real_refusals(data),
        "refusals we wrote that name the hazard": read_written(WRITTEN),
        "DICES replies judged safe": [r["text"] for r in dices if r["label"] == "safe"],
        "GPTFuzz replies judged jailbroken (evaluate)": gptfuzz_replies(data, "jailbroken"),
        "DICES replies judged unsafe (in-sample)": [
            r["text"] for r in dices if r["label"] == "unsafe"
        ],
    }


def guards() -> dict[str, Guard]:
    off = default_policy_with("refusal_gate: true", "refusal_gate: false", "off")
    return {"gate off": off, "gate on": Guard.default()}


def main() -> None:
    args = bench_args(__doc__)
    variants = guards()
    out: dict[str, Any] = {}
    print("| replies (output side) | n | blocked, gate off | blocked, gate on [95% Wilson] |")
    print("|---|---|---|---|")
    for name, texts in reply_sets(args.data_dir).items():
        row: dict[str, Any] = {"n": len(texts)}
        for label, guard in variants.items():
            row[label] = sum(v.blocked for v in guard.check_batch(texts, side="output"))
        interval = wilson_interval(row["gate on"], len(texts))
        row["interval"] = [round(interval.low, 4), round(interval.high, 4)]
        out[name] = row
        print(
            f"| {name} | {len(texts):,} | {row['gate off']} | {row['gate on']} "
            f"[{interval.low:.3f}, {interval.high:.3f}] |"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
