"""The guard on a user's labelled traffic: its scores per text, for measuring.

Each text is checked on one side; its overall score is the highest score any
scanner gave any category, and every scanner category is measured on its own
too, so a user sees which scanner carries the recall and where to set each
threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from redline.core import Message
from redline.data.labelled_rows import BinaryExample
from redline.guard.pipeline import Guard

OVERALL = "guard (max of all scanners)"


def guard_scores(
    guard: Guard,
    examples: Sequence[BinaryExample],
    *,
    side: str,
    prompt_field: str = "prompt",
    progress: Callable[[int], Any] | None = None,
) -> tuple[dict[str, list[float]], list[str]]:
    """(score name -> one value per example, each example's policy action)."""
    per_text: list[dict[str, float]] = []
    actions: list[str] = []
    for example in examples:
        if side == "input":
            verdict = guard.check_input(example.text)
        else:
            prompt = example.row.get(prompt_field)
            context = [Message(role="user", content=prompt)] if isinstance(prompt, str) else []
            verdict = guard.check_output(context, example.text)
        flat = {
            f"{scanner}.{category}": float(value)
            for scanner, categories in verdict.scores.items()
            for category, value in categories.items()
        }
        per_text.append(flat)
        actions.append(verdict.action)
        if progress is not None:
            progress(1)
    # A scanner category that gave every text the same score separates nothing.
    names = sorted(
        name
        for name in {name for flat in per_text for name in flat}
        if len({flat.get(name, 0.0) for flat in per_text}) > 1
    )
    scores = {OVERALL: [max(flat.values(), default=0.0) for flat in per_text]}
    for name in names:
        scores[name] = [flat.get(name, 0.0) for flat in per_text]
    return scores, actions
