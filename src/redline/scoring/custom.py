"""Custom scorers written as a Python function: ``python:module:function``.

The function gets the :class:`~redline.core.Attempt` (or, if its parameters
are named ``prompt`` and ``response``, those two strings) and returns one of:

- a :class:`~redline.core.Score`;
- a label string (value 1.0 unless the label is in ``NEGATIVE_LABELS``);
- ``(label, value)`` or ``(label, value, rationale)``;
- a dict with ``label`` and optional ``value`` and ``rationale``;
- a bool (``pass`` / ``fail``) or a number in [0, 1] (label ``score``).

It may be ``async``. ``python:path/to/file.py:function`` loads from a file.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from redline.core import Attempt, ConfigError, Score
from redline.scoring.base import SCORERS, ScorerParams, ScorerResources
from redline.scoring.judge import attempt_prompt

PREFIX = "python:"
NEGATIVE_LABELS = {"fail", "no_match", "not_harmful", "safe", "full_refusal", "refused"}


class PythonScorerParams(ScorerParams):
    # ``module:function`` or ``path/to/file.py:function``
    reference: str


@SCORERS.register("python")
class PythonScorer:
    """Wraps a user function as a scorer (see module docstring).

    The function may declare its success labels as a ``positive_labels``
    attribute; reports then count those labels as attack success.
    """

    Params = PythonScorerParams
    argument = "reference"
    version = "python-1"
    positive_labels: tuple[str, ...] = ()

    def __init__(self, function: Callable[..., Any], *, name: str) -> None:
        self.function = function
        self.name = name
        self.positive_labels = tuple(getattr(function, "positive_labels", ()))
        params = list(inspect.signature(function).parameters)
        self._wants_strings = params[:2] == ["prompt", "response"]
        self._is_async = inspect.iscoroutinefunction(function)

    @classmethod
    def from_reference(cls, reference: str) -> PythonScorer:
        """``python:module:function`` or ``python:file.py:function``."""
        from redline.targets.python_callable import load_callable

        try:
            function = load_callable(reference)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("target ", "scorer ", 1)) from None
        return cls(function, name=reference)

    @classmethod
    def from_params(cls, params: PythonScorerParams, resources: ScorerResources) -> PythonScorer:
        return cls.from_reference(PREFIX + params.reference)

    def _args(self, attempt: Attempt) -> tuple[Any, ...]:
        if self._wants_strings:
            return (attempt_prompt(attempt), attempt.response or "")
        return (attempt,)

    def score(self, attempt: Attempt) -> Score:
        if self._is_async:
            return asyncio.run(self.ascore(attempt))
        return self._to_score(attempt, self.function(*self._args(attempt)))

    async def ascore(self, attempt: Attempt) -> Score:
        if self._is_async:
            return self._to_score(attempt, await self.function(*self._args(attempt)))
        return self._to_score(attempt, await asyncio.to_thread(self.function, *self._args(attempt)))

    def _to_score(self, attempt: Attempt, result: Any) -> Score:
        if isinstance(result, Score):
            return result
        label, value, rationale = self._unpack(result)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"scorer {self.name}: value {value} is outside [0, 1]")
        return Score(
            attempt_id=attempt.id,
            scorer=self.name,
            scorer_version=self.version,
            label=label,
            value=value,
            rationale=rationale,
        )

    def _unpack(self, result: Any) -> tuple[str, float, str]:
        if isinstance(result, bool):
            return ("pass" if result else "fail", float(result), "")
        if isinstance(result, int | float):
            return ("score", float(result), "")
        if isinstance(result, str):
            return (result, 0.0 if result in NEGATIVE_LABELS else 1.0, "")
        if isinstance(result, tuple) and len(result) in (2, 3):
            return (str(result[0]), float(result[1]), str(result[2]) if len(result) == 3 else "")
        if isinstance(result, dict) and "label" in result:
            label = str(result["label"])
            default = 0.0 if label in NEGATIVE_LABELS else 1.0
            return (label, float(result.get("value", default)), str(result.get("rationale", "")))
        raise ConfigError(
            f"scorer {self.name}: returned {type(result).__name__}; expected a Score, a label, "
            "(label, value[, rationale]), a dict with 'label', a bool or a number"
        )
