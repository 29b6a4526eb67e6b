"""The spelling view (``redline.guard.spelling``) on text it was not tuned on: the
augmentation converters over harmful public sets other than GPTFuzz, fresh draws of
them over GPTFuzz's questions, benign prompts under the same converters, and benign
public sets as they are.

    OMP_NUM_THREADS=1 python bench/guard_spelling_held_out.py [--data-dir ../shared/data]
        [--limit 600] [--json OUT]

For a before/after figure run it twice, once with ``PYTHONPATH`` at the other
checkout's ``src``. The default input policy decides; a row counts texts blocked.

1. Harmful requests under each converter that the spelling view reads back
   (:data:`CONVERTERS`), one seeded draw per text (``Random("<set>:<converter>")``),
   at most ``--limit`` texts a set (a seeded sample): hh-rlhf red-team openers,
   AdvBench, HarmBench, red-instruct. The plain row is the ceiling a view can reach.
2. GPTFuzz's 100 questions, five draws per converter under seeds that
   ``bench/guard_failure_cases.py`` (the development draw) does not use.
3. Benign prompts under the converters (Alpaca instructions, ToxicChat non-toxic
   prompts; both CC-BY-NC, measurement only): a repaired word that makes a benign
   request read as harmful shows here.
4. Benign public sets as they are (every text): what the view's looser conditions
   change on ordinary traffic, and how many texts get a spelling view (or the
   rule-word reading of ``redline.guard.rule_readings``) at all.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import GPTFUZZ, bench_args, jsonl_gz
from guard_hazard_requests import public_sets
from guard_inline_roleplay import tally

import redline.attacks.converters  # noqa: F401  (registers the converters)
from redline.attacks.base import build_attack
from redline.guard import Guard
from redline.guard.spelling import respelled

CONVERTERS = ("augment.noise", "augment.scramble", "best_of_n", "scramble", "augment.capitalise")
HARMFUL_SETS = ("hh-rlhf red-team openers", "AdvBench", "HarmBench", "red-instruct")
BENIGN_UNDER_CONVERTERS = ("Alpaca instructions", "ToxicChat non-toxic (train + test)")
BENIGN_AS_THEY_ARE = (
    "ToxicChat non-toxic (train + test)",
    "Alpaca instructions",
    "MMLU questions",
    "CyberSecEval FRR, 7 languages",
    "GSM8K questions",
    "BIPIA contexts",
    "Davidson tweets (all labels)",
)
# What the request views (fiction, tense) are checked on: prompts, role and system
# prompts, documents.
BENIGN_PROMPTS_AS_THEY_ARE = (
    "ToxicChat non-toxic (train + test)",
    "Alpaca instructions",
    "MMLU questions",
    "CyberSecEval FRR, English",
    "awesome-prompts roles",
    "fabric system prompts",
    "GSM8K questions",
    "BIPIA contexts",
)
GPTFUZZ_DRAWS = 5


def converted(texts: list[str], converter: str, seed: str) -> list[str]:
    attack = build_attack(converter)
    rng = random.Random(seed)
    return [attack.convert(text, rng=rng).text or "" for text in texts]


def converter_rows(
    guard: Guard, name: str, texts: list[str], converters: tuple[str, ...] = CONVERTERS
) -> dict[str, Any]:
    row: dict[str, Any] = {"plain": tally(guard, texts)["blocked"], "n": len(texts)}
    for converter in converters:
        row[converter] = tally(guard, converted(texts, converter, f"{name}:{converter}"))["blocked"]
    return row


def fresh_draws(guard: Guard, data_dir: Path, converters: tuple[str, ...]) -> dict[str, Any]:
    """GPTFuzz's questions blocked plain and under each converter, GPTFUZZ_DRAWS
    draws each, under seeds the development draw does not use."""
    questions = sorted({r["prompt"] for r in jsonl_gz(data_dir / GPTFUZZ)})
    draws: dict[str, Any] = {"n": len(questions) * GPTFUZZ_DRAWS}
    draws["plain"] = tally(guard, questions)["blocked"] * GPTFUZZ_DRAWS
    for converter in converters:
        texts = [
            text
            for draw in range(GPTFUZZ_DRAWS)
            for text in converted(questions, converter, f"held-out {draw}:{converter}")
        ]
        draws[converter] = tally(guard, texts)["blocked"]
    return draws


def benign_as_they_are(
    guard: Guard,
    loaders: dict[str, Callable[[], list[str]]],
    has_view: Callable[[str], bool] | None,
    view_name: str,
) -> dict[str, dict[str, Any]]:
    """Each set's texts blocked and with a view ("-" when ``has_view`` is None: a
    checkout without the view), printed as a table."""
    print(f"\n4. Benign public sets as they are\n| set | n | blocked | with {view_name} |")
    print("|---|---|---|---|")
    out: dict[str, dict[str, Any]] = {}
    for name, load in loaders.items():
        texts = load()
        views = "-" if has_view is None else sum(map(has_view, texts))
        out[name] = {"n": len(texts), "blocked": tally(guard, texts)["blocked"], "views": views}
        print(f"| {name} | {len(texts)} | {out[name]['blocked']} | {views} |")
    return out


def print_rows(
    title: str, rows: dict[str, dict[str, Any]], converters: tuple[str, ...] = CONVERTERS
) -> None:
    print(f"\n{title}")
    print("| set | n | plain | " + " | ".join(converters) + " |")
    print("|---|---|---|" + "---|" * len(converters))
    for name, row in rows.items():
        cells = " | ".join(f"{row[c]} ({row[c] / row['n']:.0%})" for c in ("plain", *converters))
        print(f"| {name} | {row['n']} | {cells} |")


def view_counter(module: str, function: str) -> Callable[[str], bool] | None:
    """Whether a text gets a view from ``module``'s ``function`` (which lists a
    text's views), or None on a checkout without it (a "before" run)."""
    try:
        views = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return None
    return lambda text: bool(views(text))


def held_out_report(
    doc: str,
    converters: tuple[str, ...],
    benign_sets: tuple[str, ...],
    has_view: Callable[[str], bool] | None,
    view_name: str,
    under: str = "under the converters",
) -> None:
    """The four sections of this module's docstring for ``converters`` (the
    embedded-request bench runs them for its wrapper), printed and written to
    ``--json``: harmful sets, GPTFuzz's fresh draws, benign prompts ``under`` the
    converters, and ``benign_sets`` as they are with ``view_name`` counted."""
    args = bench_args(doc, limit=600)
    sets = public_sets(args.data_dir)
    guard = Guard.default()
    out: dict[str, Any] = {}

    def sample(name: str) -> list[str]:
        texts = sorted(set(sets[name][1]()))
        return random.Random(name).sample(texts, min(args.limit, len(texts)))

    out["harmful"] = {
        name: converter_rows(guard, name, sample(name), converters) for name in HARMFUL_SETS
    }
    print_rows(f"1. Harmful public sets {under} (blocked)", out["harmful"], converters)

    draws = fresh_draws(guard, args.data_dir, converters)
    out["gptfuzz_fresh_draws"] = draws
    print_rows("2. GPTFuzz questions, five fresh draws (blocked)", {"GPTFuzz": draws}, converters)

    out["benign_under_converters"] = {
        name: converter_rows(guard, name, sample(name), converters)
        for name in BENIGN_UNDER_CONVERTERS
    }
    print_rows(f"3. Benign prompts {under} (blocked)", out["benign_under_converters"], converters)

    out["benign"] = benign_as_they_are(
        guard, {name: sets[name][1] for name in benign_sets}, has_view, view_name
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


def spelling_views() -> Callable[[str], bool]:
    """Whether a text gets a spelling view or a rule-word reading (the latter only on
    a checkout that has it: a "before" run counts spelling views alone)."""
    try:
        reading = importlib.import_module("redline.guard.rule_readings").rule_reading
    except ImportError:
        return lambda text: respelled(text) is not None

    def has_view(text: str) -> bool:
        spelled = respelled(text)
        return spelled is not None or reading(text, spelled) is not None

    return has_view


def main() -> None:
    held_out_report(
        __doc__,
        CONVERTERS,
        BENIGN_AS_THEY_ARE,
        spelling_views(),
        "a spelling view or rule-word reading",
    )


if __name__ == "__main__":
    main()
