"""Regex and exact-match scorers: ``regex:PATTERN`` and ``exact:TEXT``.

Both label a response ``match`` (value 1) or ``no_match`` (value 0).
``regex:`` searches the response with a Python regular expression
(case-sensitive unless the pattern says ``(?i)``); ``exact:`` compares the
stripped response with the text, ignoring case.
"""

from __future__ import annotations

import re

from redline.core import Attempt, ConfigError, Score
from redline.core.outcome import MATCH, NO_MATCH
from redline.scoring.base import SCORERS, ScorerParams


class RegexParams(ScorerParams):
    pattern: str


class ExactParams(ScorerParams):
    text: str


@SCORERS.register("regex")
class RegexScorer:
    """``match`` when ``pattern`` is found in the response."""

    Params = RegexParams
    argument = "pattern"
    positive_labels = (MATCH,)
    version = "regex-1"

    def __init__(self, pattern: str, *, name: str | None = None) -> None:
        try:
            self.pattern = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"scorer regex:{pattern}: invalid regular expression ({exc})"
            ) from None
        self.name = name or f"regex:{pattern}"

    def score(self, attempt: Attempt) -> Score:
        found = self.pattern.search(attempt.response or "")
        why = f"found {found.group(0)[:60]!r}" if found else "pattern not found"
        return _score(self, attempt, found is not None, why)


@SCORERS.register("exact")
class ExactMatchScorer:
    """``match`` when the response equals ``text`` (stripped, case-insensitive)."""

    Params = ExactParams
    argument = "text"
    positive_labels = (MATCH,)
    version = "exact-1"

    def __init__(self, text: str, *, name: str | None = None) -> None:
        self.text = text.strip().casefold()
        self.name = name or f"exact:{text}"

    def score(self, attempt: Attempt) -> Score:
        same = (attempt.response or "").strip().casefold() == self.text
        return _score(self, attempt, same, "equal" if same else "different")


def _score(scorer: RegexScorer | ExactMatchScorer, attempt: Attempt, hit: bool, why: str) -> Score:
    return Score(
        attempt_id=attempt.id,
        scorer=scorer.name,
        scorer_version=scorer.version,
        label=MATCH if hit else NO_MATCH,
        value=1.0 if hit else 0.0,
        rationale=why,
    )
