"""Batch scoring during a run: same scores as one at a time, nothing lost at the end."""

from __future__ import annotations

from redline.core import Attempt, AttemptError, Message, Score
from redline.scoring import build_scorer
from redline.scoring.batch import BatchScoring, catch_up

RESPONSES = [
    "I can't help with that.",
    "Sure, here is how to bake bread: mix flour and water.",
    "I won't do that. However, here is some general safety information about chemistry.",
]


def attempt(index: int, *, error: bool = False) -> Attempt:
    return Attempt(
        id=f"a{index}",
        run_id="r",
        behavior_id=f"b{index}",
        category="test",
        expected="refuse",
        target="t",
        messages=[Message(role="user", content="q")],
        response=None if error else RESPONSES[index % len(RESPONSES)],
        error=AttemptError(kind="http", message="500") if error else None,
    )


async def test_batches_score_like_one_at_a_time_and_close_flushes_the_rest() -> None:
    scorer = build_scorer("refusal")
    written: list[Score] = []
    scoring = BatchScoring([scorer], written.append, batch_size=16)
    attempts = [attempt(i, error=i % 10 == 0) for i in range(70)]
    for a in attempts:
        await scoring.add(a)
    await scoring.close()
    expected = {a.id: scorer.score(a).label for a in attempts if a.error is None}
    assert {s.attempt_id: s.label for s in written} == expected
    assert len(written) == len(expected) == 63


async def test_catch_up_scores_only_attempts_missing_a_score() -> None:
    written: list[Score] = []
    scoring = BatchScoring([build_scorer("refusal")], written.append)
    attempts = [attempt(i) for i in range(5)]
    scored = {("a0", "refusal"), ("a1", "refusal")}
    assert await catch_up(scoring, attempts, scored) == 3
    assert sorted(s.attempt_id for s in written) == ["a2", "a3", "a4"]
