"""The sexual-content rules of the harm scanner (``redline.detectors.sexual_content``:
sexualised minors, explicit sexual content, requests for sexual stories or role-play):
how often they fire on public sets, and what they change in the default policy.

    OMP_NUM_THREADS=1 python bench/guard_sexual_content.py [--data-dir ../shared/data] [--json OUT]

1. The rules alone on the public sets of ``bench/guard_hazard_requests.py`` (benign
   ones: false positives, first hits printed; harmful or mixed ones: reach) and on
   DICES replies judged unsafe; prompts get every rule, model replies the explicit
   and minors rules only, as in the guard. ToxicChat and Alpaca are CC-BY-NC,
   measurement only.
2. The default input policy with ``sexual_rules`` off, ``minors`` and ``all`` on
   ToxicChat's human-labelled prompts: AUPRC of the harm score (stratified
   bootstrap interval), toxic prompts blocked, non-toxic prompts blocked. The words
   were written after reading the *train* split's toxic prompts, so the train rows
   are the development figure and the *test* rows the held-out one.
3. ``bench/data/sexual_content_probes.jsonl``: requests and benign look-alikes
   (sex education, medicine, child protection, news, guidelines that forbid sexual
   content), in English and (25) in Spanish, French, German, Italian and
   Portuguese, written by us *after* the rules: what the rules do and miss, not a
   held-out rate (no public set here has non-English sexual content).
4. The word rules (hazard, sexual content, joined letters) on ~100,000-character
   repetitive texts: each pairs a match with its neighbours only, so the time grows
   with the text, not with its square.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import bench_args, default_policy_with, jsonl_gz
from guard_hazard_requests import (
    dices_replies,
    needs_kind,
    print_public_sets,
    print_toxicchat_rows,
    probe_rows,
    public_sets,
    read_probes,
    rule_on_public_sets,
    toxicchat_rows,
)

from redline.detectors.hazard_requests import hazard_rules
from redline.detectors.sexual_content import sexual_content_rules
from redline.guard import Guard
from redline.guard.spaced_letters import joined_letters

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench/data/sexual_content_probes.jsonl"
VARIANTS = ("off", "minors", "all")
PROBE_KINDS = ("minors", "adult", "benign")


def guards() -> dict[str, Guard]:
    return {
        name: default_policy_with("sexual_rules: all", f"sexual_rules: {name}", name)
        for name in VARIANTS
    }


def main() -> None:
    args = bench_args(__doc__)
    data = args.data_dir
    rules = sexual_content_rules()
    sets = public_sets(data)
    # Davidson split by its labels: its offensive tweets use sexual words, and a rule
    # hit on one of them is no false positive.
    davidson = jsonl_gz(data / "davidson-hate/davidson_labeled_tweets.jsonl.gz")
    del sets["Davidson tweets (all labels)"]
    sets["Davidson tweets labelled neither"] = (
        "benign",
        lambda: [r["text"] for r in davidson if r["label"] == "neither"],
    )
    sets["Davidson tweets labelled hate or offensive"] = (
        "harmful",
        lambda: [r["text"] for r in davidson if r["label"] != "neither"],
    )
    sets["DICES replies judged unsafe"] = ("harmful reply", lambda: dices_replies(data, "unsafe"))
    out: dict[str, Any] = {
        "public_sets": rule_on_public_sets(
            sets, lambda text, requests: rules.find(text, requests=requests)
        )
    }
    print_public_sets(out["public_sets"])

    variants = guards()
    out["toxicchat"] = toxicchat_rows(variants, data, "sexual_rules")
    print("\n2. Default input policy on ToxicChat (harm score; train = development split)")
    print_toxicchat_rows(out["toxicchat"], "sexual_rules")

    probes = read_probes(PROBES, needs_kind(PROBE_KINDS))
    print("\n3. Default input policy on the probes, blocked (off -> minors -> all)")
    out["probes"] = probe_rows(variants, probes, PROBE_KINDS)
    out["worst_case_ms"] = worst_case_times()
    print("\n4. The word rules on ~100,000-character repetitive texts (ms, one run each)")
    for name, ms in out["worst_case_ms"].items():
        print(f"   {name}: {ms}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


def worst_case_times() -> dict[str, float]:
    """The rules pair each match with its neighbours only; a quadratic pairing took
    seconds to minutes on texts like these (a guard input may be 100,000 characters)."""
    hazards, sexual = hazard_rules(), sexual_content_rules()
    cases = {
        "sexual: one explicit word 20,000 times": (sexual.find, "porn " * 20_000),
        "sexual: explicit words in far-apart blocks": (
            sexual.find,
            ("porn " * 30 + "x " * 20 + "orgasm " * 30 + "y " * 20) * 200,
        ),
        "sexual: child, protection and sexual words, 5,000 times": (
            sexual.find,
            "write kid abuse sexy " * 5_000,
        ),
        "hazard: make bomb, 10,000 times": (hazards.find, "make bomb " * 10_000),
        "hazard: two ingredient blocks far apart": (
            lambda text: hazards.find(text, requests=False),
            "pseudoephedrine " * 6_000 + "x " * 50 + "iodine " * 6_000,
        ),
        "joined letters: one single-space run of 50,000 letters": (
            joined_letters,
            "a " * 50_000,
        ),
    }
    return time_once(cases)


def time_once(cases: dict[str, tuple[Callable[[str], Any], str]]) -> dict[str, float]:
    """Milliseconds each ``find(text)`` of ``cases`` (name -> (find, text)) takes, one
    run each."""
    times = {}
    for name, (find, text) in cases.items():
        start = time.perf_counter()
        find(text)
        times[name] = round((time.perf_counter() - start) * 1000, 1)
    return times


if __name__ == "__main__":
    main()
