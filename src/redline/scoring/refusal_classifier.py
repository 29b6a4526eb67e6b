"""The ``refusal`` scorer: the trained segment classifier (:mod:`redline.classifiers.refusal_model`)
as a scorer. The model, its segmenting and its combining rule live there."""

from __future__ import annotations

from redline.classifiers.refusal_model import (
    RefusalClassifier,
    RefusalVerdict,
    combine,
    segment_probabilities,
    shipped_refusal_classifier,
    split_segments,
)
from redline.core import Attempt, Score
from redline.core.outcome import FULL_COMPLIANCE
from redline.scoring.base import SCORERS, ScorerParams

__all__ = [
    "RefusalClassifier",
    "RefusalClassifierScorer",
    "RefusalVerdict",
    "combine",
    "segment_probabilities",
    "shipped_refusal_classifier",
    "split_segments",
]


@SCORERS.register("refusal")
class RefusalClassifierScorer:
    """Full refusal / partial refusal / full compliance by the trained segment classifier."""

    name = "refusal"
    Params = ScorerParams
    positive_labels = (FULL_COMPLIANCE,)

    def __init__(self, classifier: RefusalClassifier | None = None) -> None:
        self.classifier = classifier or shipped_refusal_classifier()
        self.version = f"classifier-{self.classifier.version}"

    def score(self, attempt: Attempt) -> Score:
        return self.score_many([attempt])[0]

    def score_many(self, attempts: list[Attempt]) -> list[Score]:
        """Scores for a batch (one featurisation pass; faster than one at a time)."""
        verdicts = self.classifier.classify([a.response or "" for a in attempts])
        return [
            Score(
                attempt_id=a.id,
                scorer=self.name,
                scorer_version=self.version,
                label=v.label,
                value=v.value,
                rationale=v.rationale,
            )
            for a, v in zip(attempts, verdicts, strict=True)
        ]
