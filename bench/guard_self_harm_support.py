"""The harm scanner's self-harm support reading (``redline.detectors.self_harm_support``):
inputs that ask for help with self-harm, help someone, or study the topic are scored
again with their self-harm words made neutral, and keep the lower score.

    OMP_NUM_THREADS=1 python bench/guard_self_harm_support.py [--data-dir DIR] [--json OUT]

1. The default input policy with ``self_harm_support`` off and on, on
   ``bench/data/self_harm_support_probes.jsonl``: people asking for help, helping
   someone, the topic studied (should pass), and methods, requests wrapped in help,
   study or care, pushing someone into it (should stay blocked). Written by us
   before the words of the rules file (18 of the wrapped ones after its first
   version, to attack it), and read while writing them: development figures.
2. The public sets of ``bench/guard_hazard_requests.py`` (93,964 benign and harmful
   prompts; replies are left out: the reading is for inputs): how many texts get a
   neutral view, and every text whose verdict moved. On a harmful set each moved
   verdict is a miss the reading made.
3. The human turns of hh-rlhf's red-team dialogues and DICES' adversarial chats
   (``bench/guard_harm_statements.py`` section 5's turns, which no word of the file
   was written from): the turns that get a view and their verdicts, off and on, for
   reading. Red-teamers asking for the means should get none.
4. Cost: microseconds per text of ``neutral_view`` alone (the least of ``REPEAT``
   passes) on ``bench/guard_latency.py``'s 1,000 messages and on ToxicChat's test
   prompts, and the milliseconds of one ~100,000-character repetitive text. The
   classifier's second reading runs only for texts that get a view.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import bench_args, default_policy_with, jsonl_gz
from guard_harm_statements import dialogue_turns
from guard_hazard_requests import needs_kind, public_sets, read_probes
from guard_latency import messages

from redline.detectors.self_harm_support import support_rules
from redline.guard import Guard

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench/data/self_harm_support_probes.jsonl"
PASS_KINDS = ("help", "support", "topic")
BLOCK_KINDS = ("method", "wrapped", "incite")
# Passes of the cost section; each figure is the least.
REPEAT = 3


def guards() -> dict[str, Guard]:
    off = default_policy_with("self_harm_support: true", "self_harm_support: false", "off")
    return {"off": off, "on": Guard.default()}


def probe_rows(variants: dict[str, Guard], probes: list[dict[str, Any]]) -> dict[str, Any]:
    """Blocked and flagged per kind and variant, then each probe's actions."""
    out: dict[str, Any] = {}
    actions = {
        name: [v.action for v in guard.check_batch([p["text"] for p in probes], side="input")]
        for name, guard in variants.items()
    }
    print("| probes | should | off: blocked / flagged | on: blocked / flagged |")
    print("|---|---|---|---|")
    for kind in (*PASS_KINDS, *BLOCK_KINDS):
        rows = [i for i, p in enumerate(probes) if p["kind"] == kind]
        row: dict[str, Any] = {"n": len(rows)}
        for name in variants:
            taken = [actions[name][i] for i in rows]
            row[name] = {"blocked": taken.count("block"), "flagged": taken.count("flag")}
        out[kind] = row
        should = "pass" if kind in PASS_KINDS else "block"
        cells = " | ".join(
            f"{row[n]['blocked']} / {row[n]['flagged']} of {len(rows)}" for n in variants
        )
        print(f"| {kind} | {should} | {cells} |")
    for i, probe in enumerate(probes):
        moved = " -> ".join(actions[name][i] for name in variants)
        print(f"   {probe['kind']}: {moved}: {probe['text'][:100]!r}")
    return out


def moved_verdicts(
    variants: dict[str, Guard], named: dict[str, tuple[str, list[str]]]
) -> list[dict[str, Any]]:
    """Per set: texts with a neutral view, and every text whose action moved."""
    rules = support_rules()
    rows = []
    print("| set | kind | texts | with a view | verdicts moved |\n|---|---|---|---|---|")
    for name, (kind, texts) in named.items():
        viewed = [t for t in texts if rules.neutral_view(t) is not None]
        actions = {
            n: [v.action for v in g.check_batch(viewed, side="input")] if viewed else []
            for n, g in variants.items()
        }
        moved = [
            {"text": text, "off": off, "on": on}
            for text, off, on in zip(viewed, actions["off"], actions["on"], strict=True)
            if off != on
        ]
        rows.append(
            {"set": name, "kind": kind, "n": len(texts), "viewed": len(viewed), "moved": moved}
        )
        print(f"| {name} | {kind} | {len(texts):,} | {len(viewed)} | {len(moved)} |")
    for row in rows:
        for item in row["moved"]:
            print(f"   {row['set']}: {item['off']} -> {item['on']}: {item['text'][:120]!r}")
    return rows


def dialogue_rows(variants: dict[str, Guard], data: Path) -> dict[str, Any]:
    """Section 3: human turns with a neutral view, each with its actions off and on."""
    rules = support_rules()
    turns = dialogue_turns(data)["human"]
    viewed = [t for t in turns if rules.neutral_view(t) is not None]
    actions = {
        n: [v.action for v in g.check_batch(viewed, side="input")] if viewed else []
        for n, g in variants.items()
    }
    print(f"   human turns: {len(turns):,}; with a view: {len(viewed)}")
    shown = []
    for i, text in enumerate(viewed):
        moved = " -> ".join(actions[n][i] for n in variants)
        shown.append({"text": text, "actions": moved})
        print(f"      {moved}: {text[:140]!r}")
    return {"turns": len(turns), "viewed": shown}


def cost_rows(data: Path, repeat: int) -> dict[str, Any]:
    """Microseconds per text of ``neutral_view`` (least of ``repeat`` passes), and
    one long repetitive text's milliseconds."""
    rules = support_rules()
    sets = {
        "latency messages (1,000 characters)": messages(1000, 1000, seed=0),
        "ToxicChat test prompts": [
            r["text"] for r in jsonl_gz(data / "toxicchat/toxicchat_human_test.jsonl.gz")
        ],
    }
    out: dict[str, Any] = {}
    for name, texts in sets.items():
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            for text in texts:
                rules.neutral_view(text)
            best = min(best, time.process_time() - start)
        out[name] = round(best / len(texts) * 1e6, 1)
        print(f"   {name}: {out[name]} µs per text ({len(texts):,} texts)")
    long_text = "I keep thinking about suicide and want to talk to my therapist. " * 1600
    start = time.perf_counter()
    rules.neutral_view(long_text)
    long_ms = round((time.perf_counter() - start) * 1000, 1)
    out["repetitive ~100,000 characters (ms)"] = long_ms
    print(f"   repetitive {len(long_text):,} characters: {long_ms} ms")
    return out


def main() -> None:
    args = bench_args(__doc__)
    variants = guards()
    out: dict[str, Any] = {}
    print("1. Default input policy on the probes (self_harm_support off -> on)")
    probes = read_probes(PROBES, needs_kind((*PASS_KINDS, *BLOCK_KINDS)))
    out["probes"] = probe_rows(variants, probes)
    print("\n2. Public prompt sets: texts with a neutral view, verdicts moved")
    named = {
        name: (kind, load())
        for name, (kind, load) in public_sets(args.data_dir).items()
        if not kind.endswith("reply")
    }
    out["public_sets"] = moved_verdicts(variants, named)
    print("\n3. Human turns of real red-team dialogues (hh-rlhf, DICES), for reading")
    out["dialogues"] = dialogue_rows(variants, args.data_dir)
    print("\n4. Cost of neutral_view alone")
    out["cost_us"] = cost_rows(args.data_dir, REPEAT)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
