"""Confidence intervals for rates: Wilson, Clopper-Pearson, bootstrap and clustered.

Every function returns an :class:`Interval`. A rate over zero trials has no
estimate (``None``) and the uninformative interval [0, 1], so empty categories
still render and serialise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np
from pydantic import BaseModel, ConfigDict

from redline.stats.validation import StatsInputError, check_counts, check_probability


class Interval(BaseModel):
    """A point estimate with a two-sided confidence interval.

    ``estimate`` is ``None`` when there is nothing to estimate from (zero trials);
    ``low`` and ``high`` are then 0 and 1.
    """

    model_config = ConfigDict(frozen=True)

    estimate: float | None
    low: float
    high: float
    confidence: float = 0.95
    method: str = "wilson"

    @property
    def halfwidth(self) -> float:
        return (self.high - self.low) / 2.0

    def format(self, *, percent: bool = True, digits: int = 1) -> str:
        """``12.5% [8.1, 18.3]``, or ``n/a [0.0, 100.0]`` without an estimate."""
        scale = 100.0 if percent else 1.0
        unit = "%" if percent else ""
        head = "n/a" if self.estimate is None else f"{self.estimate * scale:.{digits}f}{unit}"
        return f"{head} [{self.low * scale:.{digits}f}, {self.high * scale:.{digits}f}]"


def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (1.96 for 0.95)."""
    check_probability(confidence, name="confidence", open_interval=True)
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_bounds(k: float, n: float, z: float) -> tuple[float, float]:
    """Wilson bounds for a (possibly fractional) count ``k`` of ``n > 0`` at quantile ``z``."""
    # Written out rather than taken from statsmodels: it is five lines, it
    # accepts fractional k (design-effect adjusted counts), and the CLI does
    # not pay statsmodels' import time. Tests cross-check it against statsmodels.
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(max(p * (1.0 - p) / n + z2 / (4.0 * n * n), 0.0)) / denom
    low = 0.0 if k <= 0 else max(0.0, centre - half)
    high = 1.0 if k >= n else min(1.0, centre + half)
    return low, high


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``k`` successes in ``n`` trials.

    Good coverage at small n and near 0 or 1, where the Wald interval fails.
    ``n == 0`` gives ``Interval(estimate=None, low=0.0, high=1.0)``.
    """
    check_counts(k, n)
    z = z_value(confidence)
    if n == 0:
        return Interval(estimate=None, low=0.0, high=1.0, confidence=confidence, method="wilson")
    low, high = wilson_bounds(float(k), float(n), z)
    return Interval(estimate=k / n, low=low, high=high, confidence=confidence, method="wilson")


def clopper_pearson_interval(k: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Exact (Clopper-Pearson) interval from beta quantiles; conservative by design."""
    check_counts(k, n)
    check_probability(confidence, name="confidence", open_interval=True)
    if n == 0:
        return Interval(
            estimate=None, low=0.0, high=1.0, confidence=confidence, method="clopper-pearson"
        )
    alpha = 1.0 - confidence
    from scipy import stats as scipy_stats  # imported here: scipy.stats costs ~0.6 s

    low = 0.0 if k == 0 else float(scipy_stats.beta.ppf(alpha / 2.0, k, n - k + 1))
    high = 1.0 if k == n else float(scipy_stats.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return Interval(
        estimate=k / n, low=low, high=high, confidence=confidence, method="clopper-pearson"
    )


def bootstrap_interval(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` over ``values``.

    The same ``seed`` gives the same interval. ``statistic`` receives a 1-D
    numpy array (a resample) and returns a number.
    """
    check_probability(confidence, name="confidence", open_interval=True)
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise StatsInputError("bootstrap_interval needs a non-empty 1-D sequence of values")
    if n_resamples < 1:
        raise StatsInputError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    draws = np.empty(n_resamples, dtype=float)
    for i in range(n_resamples):
        draws[i] = statistic(data[rng.integers(0, data.size, size=data.size)])
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0])
    return Interval(
        estimate=float(statistic(data)),
        low=float(low),
        high=float(high),
        confidence=confidence,
        method="bootstrap-percentile",
    )


def _check_clusters(successes: Sequence[int], trials: Sequence[int]) -> tuple[np.ndarray, ...]:
    if len(successes) != len(trials):
        raise StatsInputError(
            f"successes_by_cluster has {len(successes)} entries but trials_by_cluster has "
            f"{len(trials)}"
        )
    for k, n in zip(successes, trials, strict=True):
        check_counts(k, n, what="successes")
    return np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)


def design_effect(successes_by_cluster: Sequence[int], trials_by_cluster: Sequence[int]) -> float:
    """Variance inflation from clustering: cluster-robust variance / binomial variance.

    Uses the CR1 sandwich estimator of the pooled proportion (the same variance
    statsmodels reports for an intercept-only OLS with ``cov_type="cluster"``),
    and never less than 1.0: clustering is not allowed to make an interval
    narrower than treating attempts as independent.

    Where the variance cannot be estimated (fewer than two clusters with
    trials, or a pooled rate of exactly 0 or 1) the attempts of a cluster are
    assumed to agree completely, so the design effect is the mean cluster size
    and the evidence counts behaviours, not attempts. That is the only
    assumption valid whatever the correlation: 0 of 20 behaviours asked three
    times each at temperature 0 is 0 of 20, not 0 of 60.
    """
    s, n = _check_clusters(successes_by_cluster, trials_by_cluster)
    keep = n > 0
    s, n = s[keep], n[keep]
    clusters = s.size
    total = float(n.sum())
    if total == 0:
        return 1.0
    p = float(s.sum()) / total
    if clusters < 2 or p in (0.0, 1.0):
        return total / clusters
    residuals = s - p * n
    var_cluster = clusters / (clusters - 1) * float(np.sum(residuals**2)) / total**2
    var_binomial = p * (1.0 - p) / total
    return max(1.0, var_cluster / var_binomial)


def clustered_proportion_interval(
    successes_by_cluster: Sequence[int],
    trials_by_cluster: Sequence[int],
    *,
    confidence: float = 0.95,
) -> Interval:
    """Interval for a pooled rate when attempts share a cluster (one behaviour, several epochs).

    The pooled rate's cluster-robust variance gives a design effect ``d``; the
    interval is Wilson's at the effective sample size ``n / d`` (Korn and
    Graubard's approach), so it stays inside [0, 1] and is defined at 0 and 1.
    When epochs of a behaviour agree with each other, ``d`` approaches the
    epochs per behaviour and the interval widens to match; at a pooled rate of
    0 or 1 (where agreement cannot be measured) ``d`` is the mean epochs per
    behaviour, so the interval is the behaviour-level one.
    """
    s, n = _check_clusters(successes_by_cluster, trials_by_cluster)
    z = z_value(confidence)
    total = float(n.sum())
    if total == 0:
        return Interval(
            estimate=None, low=0.0, high=1.0, confidence=confidence, method="wilson-clustered"
        )
    k = float(s.sum())
    deff = design_effect(successes_by_cluster, trials_by_cluster)
    n_eff = total / deff
    low, high = wilson_bounds(k / deff, n_eff, z)
    return Interval(
        estimate=k / total, low=low, high=high, confidence=confidence, method="wilson-clustered"
    )
