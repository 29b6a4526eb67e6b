"""Where a run's scorers disagree: one calls an attempt an attack success, another does not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from redline.core.outcome import Outcome, outcome_of
from redline.core.records import Score
from redline.scoring import registered_positive_labels


@cache
def _positives(scorer: str) -> tuple[str, ...]:
    return registered_positive_labels(scorer)


def scorer_outcomes(labels: Mapping[str, str]) -> dict[str, bool]:
    """Scorer -> whether its label means attack success; labels meaning "could not
    judge" (``not_applicable``, ``judge_error``) are left out."""
    out = {}
    for scorer, label in labels.items():
        meaning = outcome_of(label, _positives(scorer))
        if meaning is not Outcome.NOT_APPLICABLE:
            out[scorer] = meaning is Outcome.SUCCESS
    return out


def scorers_disagree(labels: Mapping[str, str]) -> bool:
    """Whether two scorers that judged the attempt reach different verdicts (success or not)."""
    return len(set(scorer_outcomes(labels).values())) > 1


def labels_by_attempt(scores: Iterable[Score]) -> dict[str, dict[str, str]]:
    """Attempt id -> scorer -> label (the last score of each scorer wins)."""
    out: dict[str, dict[str, str]] = {}
    for score in scores:
        out.setdefault(score.attempt_id, {})[score.scorer] = score.label
    return out
