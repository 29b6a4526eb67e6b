"""The Scorer protocol, its parameters and the registry every scorer is built through.

A registered scorer is a class with a ``Params`` model (a
:class:`~redline.core.params.PluginParams`); :func:`redline.scoring.build_scorer`
validates the parameters and calls ``cls(**params)``, or ``cls.from_params``
when the scorer needs runtime resources (a judge model). A name with a colon
(``regex:PATTERN``, ``python:module:function``) fills the field the class
names in ``argument``.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from redline.core import Attempt, Registry, Score
from redline.core.outcome import is_success
from redline.core.params import PluginParams
from redline.targets.base import Target


class ScorerParams(PluginParams):
    """Base of every scorer's ``Params`` (none by default)."""


@dataclass(frozen=True)
class ScorerResources:
    """What a scorer may use at run time but is not a parameter: the judge model."""

    judge: Target | None = None


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

    @property
    def positive_labels(self) -> Collection[str]:
        """The labels that mean the attack succeeded (see :mod:`redline.core.outcome`)."""
        ...

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


def scorer_kind(name: str) -> str:
    """The registry name in a scorer name: ``regex`` for ``regex:a+b``."""
    return name.partition(":")[0]


def registered_positive_labels(name: str) -> tuple[str, ...]:
    """The success labels the scorer registered for ``name`` declares, without building it.

    Empty when the scorer is unknown here (a plugin not installed) or declares
    none; :mod:`redline.core.outcome` then reads the labels by their built-in meaning.
    """
    kind = scorer_kind(name)
    if kind not in SCORERS:
        return ()
    return tuple(getattr(SCORERS.get(kind), "positive_labels", ()))


def scored_success(score: Score) -> bool:
    """Whether ``score`` says the attack succeeded, by its scorer's declared labels."""
    return is_success(score.label, registered_positive_labels(score.scorer))
