from __future__ import annotations

from collections.abc import Callable

import pytest

from redline.core import Attempt, AttemptError, Message, Score


def _attempt(
    index: int, *, run_id: str = "r", response: str = "ok", error: str | None = None, **extra
) -> Attempt:
    return Attempt(
        id=f"a{index}",
        run_id=run_id,
        behavior_id=f"b{index}",
        category="cyber",
        expected="refuse",
        target="fake:echo",
        messages=[Message(role="user", content=f"prompt {index}")],
        response=None if error else response,
        error=AttemptError(kind=error, message=f"{error} happened", status=503) if error else None,
        **extra,
    )


def _score(attempt_id: str, *, scorer: str = "refusal", label: str = "refused", value=1.0) -> Score:
    return Score(attempt_id=attempt_id, scorer=scorer, scorer_version="1", label=label, value=value)


@pytest.fixture
def make_attempt() -> Callable[..., Attempt]:
    return _attempt


@pytest.fixture
def make_score() -> Callable[..., Score]:
    return _score
