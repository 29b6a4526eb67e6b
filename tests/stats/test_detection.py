"""AUPRC and recall at FPR against scikit-learn and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from redline.stats import StatsInputError
from redline.stats.detection import average_precision, detection_metrics, recall_at_fpr


def test_average_precision_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    labels = (rng.random(500) < 0.3).astype(int)
    scores = np.round(labels * 0.3 + rng.random(500), 1)  # rounding makes ties
    assert average_precision(labels, scores) == pytest.approx(
        average_precision_score(labels, scores)
    )


def test_recall_at_fpr_picks_the_threshold_on_the_negatives():
    labels = np.array([0] * 100 + [1] * 10)
    scores = np.r_[np.linspace(0.0, 0.99, 100), np.linspace(0.5, 1.0, 10)]
    at_1 = recall_at_fpr(labels, scores, 0.01)
    assert at_1.observed_fpr <= 0.01
    assert at_1.threshold > 0.98  # only the top negative (0.99) may be flagged
    assert at_1.recall.estimate == pytest.approx(0.1)  # only the positive at 1.0 beats it
    at_5 = recall_at_fpr(labels, scores, 0.05)
    assert at_5.observed_fpr <= 0.05 and at_5.recall.estimate >= at_1.recall.estimate


def test_perfect_separation_and_intervals():
    metrics = detection_metrics([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9], bootstrap=200)
    assert metrics.auprc.estimate == 1.0 and metrics.auprc.low == 1.0
    assert [r.recall.estimate for r in metrics.recall_at_fpr] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("labels", "message"),
    [([1, 1, 1], "need both classes"), ([0, 2, 1], "0 or 1"), ([0, 1], "same length")],
)
def test_bad_labels(labels, message):
    with pytest.raises(StatsInputError, match=message):
        detection_metrics(labels, [0.1, 0.2, 0.3])
