"""The default input policy on prompts in the layouts LLM apps send, and on ToxicChat.

    OMP_NUM_THREADS=1 python bench/guard_app_layouts.py [--data-dir ../shared/data]
        [--per-layout 50] [--json OUT]

Texts no guard model trained on, put into prompt layouts:
- benign: Alpaca instructions (`benign/harmless_val.json`, CC-BY-NC: measurement only),
  ``--per-layout`` of them per layout, a seeded draw of their own for each layout;
- harmful: GPTFuzz's 100 harmful questions (measurement only), all in every layout.

Two sets of layouts: the ones training fills (``benign_app_formats.jsonl``, format
slot: the texts are new, the wordings are not) and ``bench/data/app_layouts_held_out.jsonl``,
twelve common layouts training never saw (the figure that says whether "a layout is
no signal" was learnt, not our wordings). "none" is the same texts as they are.

Then ToxicChat (CC-BY-NC, measurement only), both splits whole: non-toxic prompts
blocked and by which scanner, and the toxic and jailbreaking prompts blocked.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import alpaca_instructions, jsonl_gz

from redline.classifiers.written_examples import read_rows
from redline.guard import Guard

ROOT = Path(__file__).resolve().parents[1]
TRAINED_LAYOUTS = ROOT / "src/redline/classifiers/examples/benign_app_formats.jsonl"
HELD_OUT_LAYOUTS = ROOT / "bench/data/app_layouts_held_out.jsonl"
# Values for the trained layouts' other slots: fixed, so both trees get the same text.
SLOT_VALUES = {"{language}": "French", "{number}": "100"}


def fill(layout: str, task: str) -> str:
    for slot, value in SLOT_VALUES.items():
        layout = layout.replace(slot, value)
    return layout.replace("{task}", task)


def layout_texts() -> tuple[list[str], list[str]]:
    """The request layouts training fills and the twelve held-out ones, read with the
    project's reader of written example files (FILE:LINE on a bad row), from this
    tree's paths whichever tree's package is measured."""
    trained = [row.text for row in read_rows(TRAINED_LAYOUTS) if row.slot == "format"]
    return trained, [row.text for row in read_rows(HELD_OUT_LAYOUTS)]


def in_layouts(layouts: list[str], texts: list[str], per_layout: int) -> list[str]:
    """``per_layout`` of ``texts`` in each layout, a draw seeded by the layout's index
    (the other benches' sets; this bench's own draws are seeded by kind and index)."""
    return [
        fill(layout, text)
        for k, layout in enumerate(layouts)
        for text in random.Random(k).sample(texts, per_layout)
    ]


def blocked(guard: Guard, texts: list[str]) -> tuple[int, Counter[str]]:
    verdicts = guard.check_batch(texts, side="input")
    scanners: Counter[str] = Counter()
    for verdict in verdicts:
        for scanner in sorted({f.scanner for f in verdict.findings if f.action == "block"}):
            scanners[scanner] += 1
    return sum(v.blocked for v in verdicts), scanners


def layout_rows(
    guard: Guard, kind: str, layouts: list[str], alpaca: list[str], questions: list[str], n: int
) -> list[dict]:
    rows = []
    for i, layout in enumerate(layouts):
        benign = random.Random(f"{kind}:{i}").sample(alpaca, n)
        b, _ = blocked(guard, [fill(layout, t) for t in benign])
        h, _ = blocked(guard, [fill(layout, q) for q in questions])
        rows.append(
            {
                "set": kind,
                "layout": layout.replace("\n", "\\n")[:70],
                "benign_n": n,
                "benign_blocked": b,
                "harmful_n": len(questions),
                "harmful_blocked": h,
            }
        )
    return rows


def toxicchat(guard: Guard, data_dir: Path) -> list[dict]:
    rows = []
    for split in ("train", "test"):
        data = jsonl_gz(data_dir / f"toxicchat/toxicchat_human_{split}.jsonl.gz")
        groups = {
            "non-toxic": [r["text"] for r in data if not r["toxicity"] and not r["jailbreaking"]],
            "toxic, not jailbreaking": [
                r["text"] for r in data if r["toxicity"] and not r["jailbreaking"]
            ],
            "jailbreaking": [r["text"] for r in data if r["jailbreaking"]],
        }
        for name, texts in groups.items():
            count, scanners = blocked(guard, texts)
            rows.append(
                {
                    "split": split,
                    "prompts": name,
                    "n": len(texts),
                    "blocked": count,
                    "by_scanner": dict(scanners.most_common()),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--per-layout", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    d = args.data_dir
    guard = Guard.default()
    alpaca = alpaca_instructions(d)
    questions = sorted(
        {r["prompt"] for r in jsonl_gz(d / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")}
    )
    trained, held_out = layout_texts()
    n = args.per_layout
    rows = layout_rows(guard, "none", ["{task}"], alpaca, questions, n)
    rows += layout_rows(guard, "trained", trained, alpaca, questions, n)
    rows += layout_rows(guard, "held-out", held_out, alpaca, questions, n)
    print("| layouts | layout | benign blocked | harmful blocked |\n|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['set']} | `{row['layout']}` | {row['benign_blocked']}/{row['benign_n']} "
            f"| {row['harmful_blocked']}/{row['harmful_n']} |"
        )
    totals = {}
    for kind in ("none", "trained", "held-out"):
        part = [r for r in rows if r["set"] == kind]
        totals[kind] = {
            "benign_blocked": sum(r["benign_blocked"] for r in part),
            "benign_n": sum(r["benign_n"] for r in part),
            "harmful_blocked": sum(r["harmful_blocked"] for r in part),
            "harmful_n": sum(r["harmful_n"] for r in part),
        }
        t = totals[kind]
        benign = (
            f"{t['benign_blocked']}/{t['benign_n']} ({t['benign_blocked'] / t['benign_n']:.1%})"
        )
        harmful = f"{t['harmful_blocked']}/{t['harmful_n']}"
        harmful += f" ({t['harmful_blocked'] / t['harmful_n']:.1%})"
        print(f"| **{kind}, all** | {len(part)} layouts | {benign} | {harmful} |")
    tc = toxicchat(guard, d)
    print("\n| ToxicChat split | prompts | n | blocked | by scanner |\n|---|---|---|---|---|")
    for row in tc:
        print(
            f"| {row['split']} | {row['prompts']} | {row['n']} | {row['blocked']} "
            f"({row['blocked'] / row['n']:.1%}) | {row['by_scanner']} |"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"layouts": rows, "totals": totals, "toxicchat": tc}, indent=2)
        )
    print(f"\n{len(rows)} layout rows, python {sys.version.split()[0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
