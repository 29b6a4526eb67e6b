"""Requests reworded into the past or the future (``redline.guard.tense_requests``),
on text it was not tuned on: ``context.past_tense`` and ``context.future_tense`` over
harmful public sets other than GPTFuzz, fresh draws of them over GPTFuzz's
questions, benign prompts reworded the same way, and benign public sets as they are.

    OMP_NUM_THREADS=1 python bench/guard_tense_requests.py [--data-dir ../shared/data]
        [--limit 600] [--json OUT]

For a before/after figure run it twice, once with ``PYTHONPATH`` at the other
checkout's ``src`` (a checkout without the module shows "-" for views). The default
input policy decides; a row counts texts blocked.

1. Harmful requests reworded (:data:`CONVERTERS`), one seeded draw per text
   (``Random("<set>:<converter>")``), at most ``--limit`` texts a set (a seeded
   sample): hh-rlhf red-team openers, AdvBench, HarmBench, red-instruct. The plain
   row is the ceiling a view can reach.
2. GPTFuzz's 100 questions, five draws under seeds that
   ``bench/guard_failure_cases.py`` (the development draw) does not use.
3. Benign prompts reworded (Alpaca instructions, ToxicChat non-toxic prompts; both
   CC-BY-NC, measurement only): a benign request should score as it does plain.
4. Benign public sets as they are (every text): how many texts get a view at all
   (history questions among them), and what the views change on ordinary traffic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_spelling_held_out import BENIGN_PROMPTS_AS_THEY_ARE, held_out_report, view_counter

CONVERTERS = ("context.past_tense", "context.future_tense")


def main() -> None:
    held_out_report(
        __doc__,
        CONVERTERS,
        BENIGN_PROMPTS_AS_THEY_ARE,
        view_counter("redline.guard.tense_requests", "tense_requests"),
        "a view",
        under="reworded",
    )


if __name__ == "__main__":
    main()
