"""Measuring scores against a user's binary labels: overall, per category, per score.

Used by ``redline guard eval`` (the guard's scanner scores on labelled traffic)
and ``redline judge eval`` (a scorer's verdicts on labelled responses). Each
score gets AUPRC with an interval and recall at 1% and 5% FPR with the
threshold that reaches it: the threshold suggestions. Per category: that
category's positives against every negative (negatives are rarely labelled by
category, and the false-positive rate is a property of the benign traffic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redline.data.labelled_rows import BinaryExample
from redline.stats.detection import DetectionMetrics, detection_metrics

DEFAULT_FPRS = (0.01, 0.05)


@dataclass(frozen=True)
class ScoreEvaluation:
    """One score's metrics overall and per category of the positives."""

    score: str
    overall: DetectionMetrics
    by_category: dict[str, DetectionMetrics]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "overall": self.overall.as_dict(),
            "by_category": {k: v.as_dict() for k, v in sorted(self.by_category.items())},
        }


def evaluate_scores(
    examples: Sequence[BinaryExample],
    scores: dict[str, Sequence[float]],
    *,
    fprs: Sequence[float] = DEFAULT_FPRS,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[ScoreEvaluation]:
    """Metrics of every named score (one value per example, higher = more positive)."""
    labels = [e.label for e in examples]
    categories = sorted({e.category for e in examples if e.label == 1})
    out = []
    for name, values in scores.items():
        overall = detection_metrics(labels, values, fprs=fprs, confidence=confidence, seed=seed)
        by_category = {}
        if len(categories) > 1:
            for category in categories:
                keep = [i for i, e in enumerate(examples) if e.label == 0 or e.category == category]
                by_category[category] = detection_metrics(
                    [labels[i] for i in keep],
                    [values[i] for i in keep],
                    fprs=fprs,
                    confidence=confidence,
                    seed=seed,
                )
        out.append(ScoreEvaluation(name, overall, by_category))
    return out
