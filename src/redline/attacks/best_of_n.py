"""Best-of-N measurement: ASR@N curves and the power-law fit of Hughes et al. 2024.

A behaviour counts as broken at N if any of its first N samples succeeded.
The paper observes that ``-log(ASR@N) = a * N**(-b)``; taking logs twice makes
it a straight line, ``log(-log ASR) = log a - b log N``, fitted here by least
squares with standard errors from the fit's covariance. Extrapolated ASR
carries a delta-method interval, and optionally a bootstrap over behaviours.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from pydantic import BaseModel

from redline.core import ConfigError
from redline.stats import wilson_interval


class AsrPoint(BaseModel):
    """ASR@N with its Wilson interval over behaviours."""

    n: int
    broken: int
    behaviors: int
    asr: float
    low: float
    high: float


class PowerLawFit(BaseModel):
    """``-log(ASR@N) = a * N**(-b)`` fitted over ``points`` values of N."""

    a: float
    b: float
    log_a_se: float
    b_se: float
    cov_log_a_b: float
    points: int
    r_squared: float

    def predict(self, n: float) -> float:
        """ASR at ``n`` samples according to the fit."""
        return math.exp(-self.a * n ** (-self.b))

    def interval(self, n: float, *, confidence: float = 0.95) -> tuple[float, float]:
        """A delta-method interval for ASR at ``n`` from the fit's covariance."""
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + confidence / 2))
        log_n = math.log(n)
        y = math.log(self.a) - self.b * log_n
        var = self.log_a_se**2 + log_n**2 * self.b_se**2 - 2 * log_n * self.cov_log_a_b
        se = math.sqrt(max(var, 0.0))
        # ASR falls as y = log(-log ASR) rises, so the bounds swap.
        return math.exp(-math.exp(y + z * se)), math.exp(-math.exp(y - z * se))


class Extrapolation(BaseModel):
    n: int
    asr: float
    low: float
    high: float
    method: str


def asr_at_n(
    outcomes: Mapping[str, Sequence[bool]], *, max_n: int | None = None, confidence: float = 0.95
) -> list[AsrPoint]:
    """ASR@N for N = 1..max_n from each behaviour's outcomes in sample order.

    ``outcomes`` maps a behaviour to its samples' successes (True = broken).
    Behaviours with fewer than N samples count with what they have.
    """
    if not outcomes:
        return []
    longest = max(len(v) for v in outcomes.values())
    max_n = longest if max_n is None else max_n
    first_success = {
        key: next((i + 1 for i, ok in enumerate(values) if ok), None)
        for key, values in outcomes.items()
    }
    total = len(outcomes)
    points = []
    for n in range(1, max_n + 1):
        broken = sum(1 for first in first_success.values() if first is not None and first <= n)
        interval = wilson_interval(broken, total, confidence=confidence)
        points.append(
            AsrPoint(
                n=n,
                broken=broken,
                behaviors=total,
                asr=broken / total,
                low=interval.low,
                high=interval.high,
            )
        )
    return points


def fit_power_law(ns: Iterable[float], asr: Iterable[float]) -> PowerLawFit:
    """Fit ``-log(ASR) = a * N**(-b)`` to ASR@N values (0 < ASR < 1 are used).

    Raises ConfigError when fewer than three different usable values remain.
    """
    pairs = [(float(n), float(p)) for n, p in zip(ns, asr, strict=True) if 0.0 < p < 1.0]
    distinct = len({p for _, p in pairs})
    # A flat stretch of ASR@N (few behaviours) fits any b exactly and would
    # report a zero-width interval: demand three different ASR values.
    if distinct < 3:
        raise ConfigError(
            "a power-law fit needs at least 3 different ASR@N values with 0 < ASR < 1, "
            f"got {distinct}"
        )
    x = np.log([n for n, _ in pairs])
    y = np.log([-math.log(p) for _, p in pairs])
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    dof = len(pairs) - 2
    sigma2 = float(residuals @ residuals) / dof if dof > 0 else 0.0
    cov = sigma2 * np.linalg.inv(design.T @ design)
    total = float(((y - y.mean()) ** 2).sum())
    r_squared = 1.0 - float(residuals @ residuals) / total if total > 0 else 1.0
    intercept, slope = float(coef[0]), float(coef[1])
    return PowerLawFit(
        a=math.exp(intercept),
        b=-slope,
        log_a_se=math.sqrt(max(float(cov[0, 0]), 0.0)),
        b_se=math.sqrt(max(float(cov[1, 1]), 0.0)),
        # Covariance of (log a, b) = -(covariance of intercept and slope).
        cov_log_a_b=-float(cov[0, 1]),
        points=len(pairs),
        r_squared=r_squared,
    )


def extrapolate(
    outcomes: Mapping[str, Sequence[bool]],
    ns: Sequence[int],
    *,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[PowerLawFit, list[Extrapolation]]:
    """Fit the power law to ``outcomes`` and predict ASR at each of ``ns``.

    With ``bootstrap > 0`` the interval is the percentile interval of refits
    on behaviours resampled with replacement (refits that fail are skipped);
    otherwise it is the delta-method interval of the fit.
    """
    points = asr_at_n(outcomes)
    fit = fit_power_law([p.n for p in points], [p.asr for p in points])
    if bootstrap <= 0:
        out = []
        for n in ns:
            low, high = fit.interval(n, confidence=confidence)
            out.append(Extrapolation(n=n, asr=fit.predict(n), low=low, high=high, method="delta"))
        return fit, out
    rng = random.Random(seed)
    keys = list(outcomes)
    draws: list[list[float]] = [[] for _ in ns]
    for _ in range(bootstrap):
        sample = {f"{i}": outcomes[rng.choice(keys)] for i in range(len(keys))}
        resampled = asr_at_n(sample)
        try:
            refit = fit_power_law([p.n for p in resampled], [p.asr for p in resampled])
        except ConfigError:
            continue
        for slot, n in zip(draws, ns, strict=True):
            slot.append(refit.predict(n))
    tail = (1 - confidence) / 2 * 100
    out = []
    for slot, n in zip(draws, ns, strict=True):
        if slot:
            low, high = (float(v) for v in np.percentile(slot, [tail, 100 - tail]))
        else:
            low, high = 0.0, 1.0
        out.append(Extrapolation(n=n, asr=fit.predict(n), low=low, high=high, method="bootstrap"))
    return fit, out
