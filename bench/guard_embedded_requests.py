"""Requests inside a request for fiction (``redline.guard.embedded_requests``), on
text it was not tuned on: ``roleplay.scene`` over harmful public sets other than
GPTFuzz, fresh draws of it over GPTFuzz's questions, benign prompts in the same
wrapper, and benign public sets as they are.

    OMP_NUM_THREADS=1 python bench/guard_embedded_requests.py [--data-dir ../shared/data]
        [--limit 600] [--json OUT]

For a before/after figure run it twice, once with ``PYTHONPATH`` at the other
checkout's ``src`` (a checkout without the module shows "-" for views). The default
input policy decides; a row counts texts blocked.

1. Harmful requests in the wrapper (:data:`CONVERTERS`), one seeded draw per text
   (``Random("<set>:<converter>")``), at most ``--limit`` texts a set (a seeded
   sample): hh-rlhf red-team openers, AdvBench, HarmBench, red-instruct. The plain
   row is the ceiling a view can reach.
2. GPTFuzz's 100 questions, five draws under seeds that
   ``bench/guard_failure_cases.py`` (the development draw) does not use.
3. Benign prompts in the wrapper (Alpaca instructions, ToxicChat non-toxic prompts;
   both CC-BY-NC, measurement only): a benign request inside should score as it
   does plain.
4. Benign public sets as they are (every text): how many texts get a view at all,
   and what the views change on ordinary traffic.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import bench_args
from guard_hazard_requests import public_sets
from guard_spelling_held_out import (
    HARMFUL_SETS,
    benign_as_they_are,
    converter_rows,
    fresh_draws,
    print_rows,
)

from redline.guard import Guard

CONVERTERS = ("roleplay.scene",)
BENIGN_UNDER_CONVERTERS = ("Alpaca instructions", "ToxicChat non-toxic (train + test)")
BENIGN_AS_THEY_ARE = (
    "ToxicChat non-toxic (train + test)",
    "Alpaca instructions",
    "MMLU questions",
    "CyberSecEval FRR, English",
    "awesome-prompts roles",
    "fabric system prompts",
    "GSM8K questions",
    "BIPIA contexts",
)


def view_counter() -> Callable[[str], bool] | None:
    """Whether a text gets a view, or None on a checkout without the module."""
    try:
        from redline.guard.embedded_requests import embedded_requests
    except ImportError:
        return None
    return lambda text: bool(embedded_requests(text))


def main() -> None:
    args = bench_args(__doc__, limit=600)
    sets = public_sets(args.data_dir)
    guard = Guard.default()
    has_view = view_counter()
    out: dict[str, Any] = {}

    def sample(name: str) -> list[str]:
        texts = sorted(set(sets[name][1]()))
        return random.Random(name).sample(texts, min(args.limit, len(texts)))

    out["harmful"] = {
        name: converter_rows(guard, name, sample(name), CONVERTERS) for name in HARMFUL_SETS
    }
    print_rows("1. Harmful public sets in the wrapper (blocked)", out["harmful"], CONVERTERS)

    draws = fresh_draws(guard, args.data_dir, CONVERTERS)
    out["gptfuzz_fresh_draws"] = draws
    print_rows("2. GPTFuzz questions, five fresh draws (blocked)", {"GPTFuzz": draws}, CONVERTERS)

    out["benign_under_converters"] = {
        name: converter_rows(guard, name, sample(name), CONVERTERS)
        for name in BENIGN_UNDER_CONVERTERS
    }
    print_rows(
        "3. Benign prompts in the wrapper (blocked)", out["benign_under_converters"], CONVERTERS
    )

    out["benign"] = benign_as_they_are(
        guard, {name: sets[name][1] for name in BENIGN_AS_THEY_ARE}, has_view, "a view"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
