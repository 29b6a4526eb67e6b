"""Prediction-powered inference (PPI++) for a rate measured by an imperfect scorer.

A run has a scorer verdict ``f`` (0/1) on every item and a human label ``y`` on a
small random sample of them. The scorer's raw rate is biased by its errors; the
human sample alone is unbiased but wide. PPI++ (Angelopoulos, Duchi, Zrnic 2023,
"PPI++: Efficient Prediction-Powered Inference") combines them:

    theta = lambda * mean_all(f) + mean_labelled(y - lambda * f)

The second term measures the scorer's bias *on this run's own items*, so the
estimate is unbiased whatever the scorer's error rates, and ``lambda`` (tuned
from the data to minimise the variance, clipped to [0, 1]) makes it never
wider than the human-only estimate by more than noise: lambda = 0 is the
human-only estimate, lambda = 1 is classic PPI.

The sample may be stratified (``redline judge sample`` stratifies by scorer
label): then the rectifier is averaged per stratum with weights N_h / N. When
the strata are the scorer's labels, f is constant inside each stratum and the
estimate becomes the stratified mean of the human labels (the tuning picks
lambda = 0): the most efficient use of those labels.

The estimand is the rate of the process that produced the run's items (as for
the raw Wilson interval beside it), so there is no finite-population
correction; the labelled items are a small part of all items and their overlap
with the scorer term is ignored. Validity needs the labelled items to be a
random sample (within each stratum) of the same items the rate is about.
Labels from another model's responses do not do: a judge's error rates depend
on what it judges.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from redline.stats.intervals import Interval, z_value
from redline.stats.validation import StatsInputError


@dataclass(frozen=True)
class PredictionPoweredEstimate:
    """A PPI++ estimate: the interval, the tuning weight, and the sample sizes."""

    interval: Interval
    tuning: float  # lambda: 0 = human labels only, 1 = classic PPI
    labelled: int
    total: int
    stratified: bool


def ppi_mean(
    *,
    labelled_y: Sequence[float],
    labelled_f: Sequence[float],
    all_f: Sequence[float],
    labelled_strata: Sequence[Hashable] | None = None,
    all_strata: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> PredictionPoweredEstimate:
    """The PPI++ estimate and normal interval of the mean of ``y`` over all items.

    ``all_f`` holds the scorer's value on every item (labelled ones included);
    ``labelled_y``/``labelled_f`` the human label and scorer value on the sampled
    items. With strata (one key per item, both lists), each stratum's labelled
    items must be a random sample of that stratum; a stratum with items but no
    label makes the estimate fall back to treating the sample as unstratified.
    """
    y = np.asarray(labelled_y, dtype=float)
    f_lab = np.asarray(labelled_f, dtype=float)
    f_all = np.asarray(all_f, dtype=float)
    if y.shape != f_lab.shape:
        raise StatsInputError("labelled_y and labelled_f must have the same length")
    if y.size < 2:
        raise StatsInputError(f"need at least 2 labelled items, got {y.size}")
    if f_all.size < y.size:
        raise StatsInputError("all_f must cover every item, the labelled ones included")
    lab_keys, all_keys = _strata(labelled_strata, all_strata, y.size, f_all.size)
    groups = _stratum_groups(lab_keys, all_keys)
    stratified = groups is not None and len(groups) > 1
    if groups is None:
        groups = [(np.arange(y.size), f_all.size)]
    total = f_all.size
    weights = [size / total for _, size in groups]
    # c_h: how much stratum h's rectifier variance counts in the estimate's variance.
    factors = [w * w / len(idx) for (idx, _), w in zip(groups, weights, strict=True)]
    var_f_all = float(np.var(f_all, ddof=1)) if total > 1 else 0.0
    num = sum(c * _cov(y[idx], f_lab[idx]) for (idx, _), c in zip(groups, factors, strict=True))
    den = var_f_all / total + sum(
        c * _cov(f_lab[idx], f_lab[idx]) for (idx, _), c in zip(groups, factors, strict=True)
    )
    tuning = float(np.clip(num / den, 0.0, 1.0)) if den > 0 else 0.0
    rectifier = sum(
        w * float(np.mean(y[idx] - tuning * f_lab[idx]))
        for (idx, _), w in zip(groups, weights, strict=True)
    )
    estimate = tuning * float(np.mean(f_all)) + rectifier
    variance = tuning * tuning * var_f_all / total + sum(
        c * _smoothed_var(y[idx], f_lab[idx], tuning)
        for (idx, _), c in zip(groups, factors, strict=True)
    )
    half = z_value(confidence) * float(np.sqrt(max(variance, 0.0)))
    interval = Interval(
        estimate=float(np.clip(estimate, 0.0, 1.0)),
        low=float(np.clip(estimate - half, 0.0, 1.0)),
        high=float(np.clip(estimate + half, 0.0, 1.0)),
        confidence=confidence,
        method="ppi++-stratified" if stratified else "ppi++",
    )
    return PredictionPoweredEstimate(
        interval=interval, tuning=tuning, labelled=int(y.size), total=total, stratified=stratified
    )


def _strata(
    labelled: Sequence[Hashable] | None, every: Sequence[Hashable] | None, n: int, total: int
) -> tuple[list[Hashable], list[Hashable]]:
    if (labelled is None) != (every is None):
        raise StatsInputError("give strata for both the labelled items and all items, or neither")
    if labelled is None or every is None:
        return [0] * n, [0] * total
    if len(labelled) != n or len(every) != total:
        raise StatsInputError("one stratum key per item is needed")
    return list(labelled), list(every)


def _stratum_groups(
    labelled: list[Hashable], every: list[Hashable]
) -> list[tuple[np.ndarray, int]] | None:
    """(labelled indices, stratum size) per stratum; None when a stratum has no label."""
    sizes: dict[Hashable, int] = {}
    for key in every:
        sizes[key] = sizes.get(key, 0) + 1
    members: dict[Hashable, list[int]] = {}
    for index, key in enumerate(labelled):
        members.setdefault(key, []).append(index)
    if set(members) - set(sizes):
        raise StatsInputError("a labelled item's stratum is not among all items' strata")
    if set(sizes) != set(members):
        return None
    return [(np.asarray(members[key]), sizes[key]) for key in sizes]


def _cov(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.cov(a, b, ddof=1)[0, 1]) if a.size > 1 else 0.0


def _smoothed_var(y: np.ndarray, f: np.ndarray, tuning: float) -> float:
    """Variance of ``y - tuning * f`` with one pseudo-item labelled 0 and one labelled 1
    (at the stratum's mean scorer value): a stratum whose sampled labels all agree
    (common when the scorer is good) would otherwise claim zero variance, and its
    interval would collapse (as Wilson's interval avoids for one rate)."""
    shift = tuning * float(np.mean(f))
    values = np.concatenate([y - tuning * f, [-shift, 1.0 - shift]])
    return float(np.var(values, ddof=1))
