"""The Scorer protocol and registry."""

from __future__ import annotations

import inspect
from typing import Protocol, runtime_checkable

from redline.core import Attempt, Registry, Score


@runtime_checkable
class Scorer(Protocol):
    """Turns an attempt with a response into a :class:`Score`.

    Scorers never see attempts with errors: a failed request has no score.
    A scorer that needs I/O (an LLM judge) also defines
    ``async def ascore(attempt) -> Score``; callers with an event loop use
    :func:`score_async`, which prefers it.
    """

    name: str
    version: str

    def score(self, attempt: Attempt) -> Score: ...


@runtime_checkable
class AsyncScorer(Protocol):
    """A scorer that scores without blocking the event loop."""

    name: str
    version: str

    async def ascore(self, attempt: Attempt) -> Score: ...


async def score_async(scorer: Scorer, attempt: Attempt) -> Score:
    """``await scorer.ascore(attempt)`` when the scorer has it, else ``scorer.score``."""
    ascore = getattr(scorer, "ascore", None)
    if ascore is not None and inspect.iscoroutinefunction(ascore):
        result: Score = await ascore(attempt)
        return result
    return scorer.score(attempt)


SCORERS: Registry[type] = Registry("scorer", group="redline.scorers")
