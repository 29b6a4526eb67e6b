"""The crime-request rule of the harm scanner (``redline.detectors.crime_requests``:
a request frame, then an everyday crime's act and its target): how often it fires on
public sets, and what it changes in the default input policy.

    OMP_NUM_THREADS=1 python bench/guard_crime_requests.py [--data-dir ../shared/data] [--json OUT]

1. The rule alone on the public sets of ``bench/guard_hazard_requests.py``: benign
   ones (false positives, first hits printed), harmful ones (reach). Inputs only, as
   in the guard. ToxicChat and Alpaca are CC-BY-NC, measurement only.
2. The default input policy with ``crime_rules`` off and on: each harmful public set
   blocked, and ToxicChat's human-labelled prompts (harm AUPRC with a stratified
   bootstrap interval, toxic and non-toxic prompts blocked), both splits. The words
   were written with GPTFuzz's questions that the policy passed in view (they are
   listed below and in docs/benchmarks.md), so GPTFuzz is the development row; the
   other sets were not read for the words.
3. ``bench/data/crime_requests_probes.jsonl``: requests and benign look-alikes
   (protective questions, idioms, games, programming, law and news), in English and
   (45) in Spanish, French, German, Italian and Portuguese, written by us *after* the
   rule: what it does and misses, not a held-out rate. No public set here has
   non-English crime requests; ``bench/guard_languages.py`` has our translations of
   20 GPTFuzz questions.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import GPTFUZZ, bench_args, default_policy_with, jsonl_gz
from guard_hazard_requests import (
    needs_kind,
    print_public_sets,
    print_toxicchat_rows,
    probe_rows,
    public_sets,
    read_probes,
    rule_on_public_sets,
    toxicchat_rows,
)
from guard_inline_roleplay import tally

from redline.classifiers.splits import fold_text
from redline.detectors.crime_requests import crime_rules
from redline.guard import Guard

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench/data/crime_requests_probes.jsonl"
VARIANTS = ("false", "true")
PROBE_KINDS = ("crime", "benign")


def guards() -> dict[str, Guard]:
    return {
        name: default_policy_with("crime_rules: true", f"crime_rules: {name}", name)
        for name in VARIANTS
    }


def _share(count: dict[str, Any]) -> str:
    return (
        f"{count['blocked']} ({count['blocked'] / count['n']:.1%}, "
        f"{count['low']:.1%}-{count['high']:.1%})"
    )


def main() -> None:
    args = bench_args(__doc__)
    data = args.data_dir
    rules = crime_rules()
    sets = public_sets(data)
    out: dict[str, Any] = {
        "public_sets": rule_on_public_sets(
            sets, lambda text, requests: rules.find(text) if requests else []
        )
    }
    print_public_sets(out["public_sets"])

    variants = guards()
    print("\n2. Default input policy, crime_rules false -> true")
    print("| harmful set | texts | blocked, off | blocked, on |\n|---|---|---|---|")
    out["harmful_sets"] = {}
    questions = sorted({r["prompt"] for r in jsonl_gz(data / GPTFUZZ)})
    seen = {fold_text(q) for q in questions}
    for name, (kind, load) in sets.items():
        if kind != "harmful" or name.startswith("ToxicChat"):
            continue
        texts = load()
        if name != "GPTFuzz questions":
            # GPTFuzz's questions come from hh-rlhf's red-team openers: the
            # development questions are left out of the other rows.
            texts = [t for t in texts if fold_text(t) not in seen]
            name += ", GPTFuzz's questions left out"
        counts = {variant: tally(guard, texts) for variant, guard in variants.items()}
        out["harmful_sets"][name] = counts
        cells = " | ".join(_share(counts[variant]) for variant in VARIANTS)
        print(f"| {name} | {len(texts):,} | {cells} |")
    print("GPTFuzz questions the policy passed without the rule, with it:")
    passed_before = [
        q
        for q, v in zip(questions, variants["false"].check_batch(questions), strict=True)
        if not v.blocked
    ]
    for question, verdict in zip(
        passed_before, variants["true"].check_batch(passed_before), strict=True
    ):
        print(f"   {verdict.action}: {question[:100]!r}")
    out["toxicchat"] = toxicchat_rows(variants, data, "crime_rules")
    print_toxicchat_rows(out["toxicchat"], "crime_rules")

    probes = read_probes(PROBES, needs_kind(PROBE_KINDS))
    print("\n3. Default input policy on the probes, blocked (crime_rules false -> true)")
    out["probes"] = probe_rows(variants, probes, PROBE_KINDS)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
