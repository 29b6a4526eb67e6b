"""Letter-spaced text ("p-i-p-e b-o-m-b", "h o w  t o") and the guard's joined-letters
view (``redline.guard.spaced_letters``): what the view changes in the default policy.

    OMP_NUM_THREADS=1 python bench/guard_letter_spacing.py [--data-dir ../shared/data] [--json OUT]

1. GPTFuzz's 100 harmful questions (never trained on) through the attack library's
   ``letter_spacing`` converter, with each separator and with only words of four
   letters or more parted, blocked by the default input policy without and with
   the view.
2. Benign prompts the same way: 600 ToxicChat non-toxic prompts (CC-BY-NC,
   measurement only) and 600 CyberSecEval FRR prompts (benign, security-flavoured),
   plain and letter-spaced, without and with the view: the view must not block
   benign text the plain text does not (counted for hyphens). Long space-parted text
   is blocked without the view too: the jailbreak model reads it as a disguise.
3. Ordinary benign sets, plain: how many texts get the view at all (it only adds a
   reading, so its cost there is a classifier pass), and the time of the first look
   on a 1,000-character text.
"""

from __future__ import annotations

import json
import os
import random
import sys
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import GPTFUZZ, alpaca_instructions, bench_args, jsonl_gz, sample
from guard_inline_roleplay import tally

import redline.guard.decoded_views as decoded_views_module
from redline.attacks.base import build_attack
from redline.guard import Guard
from redline.guard.spaced_letters import joined_letters

VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("plain", {}),
    ("spaces (default)", {}),
    ("hyphens", {"separator": "-"}),
    ("dots", {"separator": "."}),
    ("asterisks", {"separator": "*"}),
    ("plus signs, words of 4+ letters", {"separator": "+", "min_length": 4}),
    ("spaces, words of 4+ letters", {"min_length": 4}),
)


@contextmanager
def without_view() -> Iterator[None]:
    """The guard as before the view: ``decoded_views`` gets no joined letters."""
    saved = decoded_views_module.joined_letters
    decoded_views_module.joined_letters = lambda text: None
    try:
        yield
    finally:
        decoded_views_module.joined_letters = saved


def converted(texts: list[str], name: str, params: dict[str, Any]) -> list[str]:
    if name == "plain":
        return list(texts)
    attack = build_attack("letter_spacing", params)
    rng = random.Random(f"letter_spacing:{name}")
    return [attack.convert(text, rng=rng).text or "" for text in texts]


def both(guard: Guard, texts: list[str]) -> dict[str, Any]:
    with without_view():
        before = tally(guard, texts)
    return {"without view": before, "with view": tally(guard, texts)}


def table(title: str, rows: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    print("| texts | without the view | with the view |\n|---|---|---|")
    for name, row in rows.items():
        cells = [
            f"{row[k]['blocked']} of {row[k]['n']} [{row[k]['low']:.2f}, {row[k]['high']:.2f}]"
            for k in ("without view", "with view")
        ]
        print(f"| {name} | {cells[0]} | {cells[1]} |")


def main() -> None:
    args = bench_args(__doc__)
    data = args.data_dir
    guard = Guard.default()
    questions = sorted({r["prompt"] for r in jsonl_gz(data / GPTFUZZ)})
    toxicchat = jsonl_gz(data / "toxicchat/toxicchat_human_test.jsonl.gz")
    nontoxic = sample([r["text"] for r in toxicchat if r["toxicity"] == 0], 600)
    frr = sample(
        [
            r["mutated_prompt"]
            for r in json.loads((data / "cyberseceval/mitre_frr.json").read_text())
        ],
        600,
    )
    out: dict[str, Any] = {}
    out["harmful"] = {
        name: both(guard, converted(questions, name, params)) for name, params in VARIANTS
    }
    table("1. GPTFuzz harmful questions blocked, letter-spaced", out["harmful"])
    out["benign"] = {}
    for set_name, texts in (("ToxicChat non-toxic", nontoxic), ("CyberSecEval FRR", frr)):
        for name, params in VARIANTS[:3]:
            out["benign"][f"{set_name}, {name}"] = both(guard, converted(texts, name, params))
    table("2. Benign prompts blocked, plain and letter-spaced", out["benign"])
    # What the view adds on benign text is the plain text's harm verdict: count the
    # texts blocked hyphen-spaced with the view that are not blocked plain.
    out["benign_blocked_spaced_not_plain"] = {}
    for set_name, texts in (("ToxicChat non-toxic", nontoxic), ("CyberSecEval FRR", frr)):
        plain = [v.blocked for v in guard.check_batch(texts, side="input")]
        spaced = guard.check_batch(converted(texts, "hyphens", {"separator": "-"}), side="input")
        extra = sum(v.blocked and not p for v, p in zip(spaced, plain, strict=True))
        out["benign_blocked_spaced_not_plain"][set_name] = extra
        print(f"   {set_name}: blocked hyphen-spaced with the view, not plain: {extra}")

    ordinary = {
        "ToxicChat non-toxic (600)": nontoxic,
        "CyberSecEval FRR (600)": frr,
        "Alpaca instructions (600)": sample(alpaca_instructions(data), 600),
    }
    out["views_on_plain_text"] = {
        name: sum(joined_letters(t) is not None for t in texts) for name, texts in ordinary.items()
    }
    print("\n3. Plain benign texts that get the view")
    for name, count in out["views_on_plain_text"].items():
        print(f"   {name}: {count}")
    filler = ("Our support team reviewed the ticket and found that the export job failed. " * 14)[
        :1000
    ]
    microseconds = timeit.timeit(lambda: joined_letters(filler), number=5000) / 5000 * 1e6
    out["first_look_us_per_1000_chars"] = round(microseconds, 2)
    print(f"   first look on 1,000 ordinary characters: {microseconds:.1f} µs")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
