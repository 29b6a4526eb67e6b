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

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_spelling_held_out import BENIGN_PROMPTS_AS_THEY_ARE, held_out_report, view_counter

CONVERTERS = ("roleplay.scene",)


def main() -> None:
    held_out_report(
        __doc__,
        CONVERTERS,
        BENIGN_PROMPTS_AS_THEY_ARE,
        view_counter("redline.guard.embedded_requests", "embedded_requests"),
        "a view",
        under="in the wrapper",
    )


if __name__ == "__main__":
    main()
