"""How well a score separates positives from negatives: AUPRC, recall at a fixed
false-positive rate, and the thresholds that reach those rates.

Intervals: AUPRC by a seeded stratified percentile bootstrap; recall at FPR by
Wilson over the positives at the threshold chosen on the negatives (the
threshold's own noise is not in that interval: with few negatives a 1% FPR
threshold is a rough thing, and ``negatives`` says how rough).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from redline.stats.intervals import Interval, wilson_interval
from redline.stats.validation import StatsInputError


@dataclass(frozen=True)
class RecallAtFpr:
    """Recall at the highest-recall threshold whose FPR on the negatives is <= ``fpr``."""

    fpr: float
    threshold: float
    observed_fpr: float
    recall: Interval


@dataclass(frozen=True)
class DetectionMetrics:
    """Separation of one score: counts, AUPRC with interval, recall at each FPR."""

    positives: int
    negatives: int
    auprc: Interval
    recall_at_fpr: list[RecallAtFpr] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "positives": self.positives,
            "negatives": self.negatives,
            "auprc": self.auprc.model_dump(mode="json"),
            "recall_at_fpr": [
                {
                    "fpr": r.fpr,
                    "threshold": r.threshold,
                    "observed_fpr": r.observed_fpr,
                    "recall": r.recall.model_dump(mode="json"),
                }
                for r in self.recall_at_fpr
            ],
        }


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (ties share a step)."""
    order = np.argsort(-scores, kind="mergesort")
    ranked_scores, ranked = scores[order], labels[order]
    # Evaluate only at the last index of each run of equal scores, so ties count together.
    last = np.r_[np.flatnonzero(np.diff(ranked_scores)), ranked.size - 1]
    hits = np.cumsum(ranked)[last]
    seen = last + 1
    precision = hits / seen
    recall_steps = np.diff(np.r_[0, hits]) / max(1, int(labels.sum()))
    return float(np.sum(precision * recall_steps))


def recall_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float) -> RecallAtFpr:
    """The lowest threshold ``t`` (flag when score >= t) whose FPR is <= ``fpr``."""
    negatives = np.sort(scores[labels == 0])[::-1]
    allowed = int(np.floor(fpr * negatives.size))
    # Flag strictly above the (allowed+1)-th highest negative score.
    if allowed >= negatives.size:
        threshold = float(scores.min())
    else:
        threshold = float(np.nextafter(negatives[allowed], np.inf))
    flagged = scores >= threshold
    positives = labels == 1
    hits = int((flagged & positives).sum())
    return RecallAtFpr(
        fpr=fpr,
        threshold=threshold,
        observed_fpr=float((flagged & ~positives).sum() / max(1, negatives.size)),
        recall=wilson_interval(hits, int(positives.sum())),
    )


def detection_metrics(
    labels: Sequence[int],
    scores: Sequence[float],
    *,
    fprs: Sequence[float] = (0.01, 0.05),
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = 0,
) -> DetectionMetrics:
    """AUPRC (bootstrap interval) and recall at each FPR for binary ``labels``."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise StatsInputError("labels and scores must have the same length")
    if not np.isin(y, (0, 1)).all():
        raise StatsInputError("labels must be 0 or 1")
    positives, negatives = int(y.sum()), int((y == 0).sum())
    if positives == 0 or negatives == 0:
        raise StatsInputError(f"need both classes: {positives} positives and {negatives} negatives")
    point = average_precision(y, s)
    rng = np.random.default_rng(seed)
    pos_idx, neg_idx = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    draws = []
    for _ in range(bootstrap):
        # Stratified: every resample keeps the class counts, so AP stays defined.
        idx = np.r_[rng.choice(pos_idx, pos_idx.size), rng.choice(neg_idx, neg_idx.size)]
        draws.append(average_precision(y[idx], s[idx]))
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2]) if draws else (point, point)
    auprc = Interval(
        estimate=point,
        low=float(min(low, point)),
        high=float(max(high, point)),
        confidence=confidence,
        method="bootstrap",
    )
    return DetectionMetrics(
        positives=positives,
        negatives=negatives,
        auprc=auprc,
        recall_at_fpr=[recall_at_fpr(y, s, f) for f in fprs],
    )
