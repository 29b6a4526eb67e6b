"""Correcting a rate measured by an imperfect classifier (a refusal or harm scorer)."""

from __future__ import annotations

from redline.stats.intervals import Interval, wilson_interval
from redline.stats.validation import StatsInputError, check_probability


def _correct(rate: float, sensitivity: float, specificity: float) -> float:
    youden = sensitivity + specificity - 1.0
    return min(1.0, max(0.0, (rate + specificity - 1.0) / youden))


def _check_classifier(sensitivity: float, specificity: float) -> None:
    check_probability(sensitivity, name="sensitivity")
    check_probability(specificity, name="specificity")
    if sensitivity + specificity <= 1.0:
        raise StatsInputError(
            f"sensitivity + specificity must exceed 1 (got {sensitivity} + {specificity}); "
            "a classifier no better than chance cannot be corrected for"
        )


def rogan_gladen(observed_rate: float, sensitivity: float, specificity: float) -> float:
    """The true prevalence implied by a rate a classifier reported.

    ``(observed + specificity - 1) / (sensitivity + specificity - 1)``, clipped to
    [0, 1] (Rogan and Gladen, 1978). With a scorer that misses 10% of attack
    successes and flags 5% of refusals as successes, an observed ASR of 20%
    becomes (0.20 + 0.95 - 1) / (0.90 + 0.95 - 1) = 17.6%.
    """
    check_probability(observed_rate, name="observed_rate")
    _check_classifier(sensitivity, specificity)
    return _correct(observed_rate, sensitivity, specificity)


def rogan_gladen_interval(
    k: int,
    n: int,
    *,
    sensitivity: float,
    specificity: float,
    confidence: float = 0.95,
) -> Interval:
    """Corrected prevalence with an interval: the Wilson bounds of ``k / n`` mapped through
    the (monotone) correction.

    Treats sensitivity and specificity as known; when they were estimated from a
    small labelled set the true interval is wider than this.
    """
    _check_classifier(sensitivity, specificity)
    observed = wilson_interval(k, n, confidence=confidence)
    estimate = (
        None if observed.estimate is None else _correct(observed.estimate, sensitivity, specificity)
    )
    return Interval(
        estimate=estimate,
        low=_correct(observed.low, sensitivity, specificity),
        high=_correct(observed.high, sensitivity, specificity),
        confidence=confidence,
        method="rogan-gladen-wilson",
    )
