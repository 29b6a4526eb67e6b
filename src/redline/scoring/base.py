"""The Scorer protocol and registry."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from redline.core import Attempt, Registry, Score


@runtime_checkable
class Scorer(Protocol):
    """Turns an attempt with a response into a :class:`Score`.

    Scorers never see attempts with errors: a failed request has no score.
    """

    name: str
    version: str

    def score(self, attempt: Attempt) -> Score: ...


SCORERS: Registry[type] = Registry("scorer", group="redline.scorers")
