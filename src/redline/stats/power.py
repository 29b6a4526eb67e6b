"""Power analysis: how many prompts a comparison needs, and what precision n buys."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

from redline.stats.intervals import wilson_bounds, z_value
from redline.stats.validation import StatsInputError, check_probability


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's effect size for two proportions: the difference of arcsine-root transforms."""
    check_probability(p1, name="p1")
    check_probability(p2, name="p2")
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2))


def _independent_power(n: float, h: float, z_crit: float) -> float:
    shift = abs(h) * math.sqrt(n / 2.0)
    normal = NormalDist()
    return normal.cdf(shift - z_crit) + normal.cdf(-shift - z_crit)


def sample_size_two_proportions(
    p1: float,
    p2: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    discordant: float | None = None,
) -> int:
    """Prompts needed to detect a change of a rate from ``p1`` to ``p2`` (two-sided test).

    Independent samples (two systems on different prompts): the per-group size
    of the normal test on Cohen's h, the same answer as statsmodels'
    ``NormalIndPower().solve_power(proportion_effectsize(p1, p2), ...)`` rounded up.

    Paired (two systems on the same prompts, compared with McNemar's test): the
    number of prompts from Connor (1987), which needs ``discordant``, the expected
    share of prompts on which the two systems disagree. It must lie between
    ``|p1 - p2|`` and ``min(p1 + p2, 2 - p1 - p2)``.
    """
    check_probability(p1, name="p1")
    check_probability(p2, name="p2")
    check_probability(alpha, name="alpha", open_interval=True)
    check_probability(power, name="power", open_interval=True)
    if p1 == p2:
        raise StatsInputError(f"p1 and p2 are equal ({p1}); there is no difference to detect")
    z_alpha = z_value(1.0 - alpha)
    z_beta = NormalDist().inv_cdf(power)
    if paired:
        return _paired_sample_size(p1, p2, discordant=discordant, z_alpha=z_alpha, z_beta=z_beta)
    if discordant is not None:
        raise StatsInputError("discordant only applies to a paired design (add --paired)")
    h = cohens_h(p1, p2)
    if power <= alpha:
        return 1  # the test's false-positive rate alone already gives that power
    # Solve the exact two-tailed power equation, as statsmodels does, so the
    # rounded-up size agrees with it rather than with the one-tail shortcut.
    guess = 2.0 * ((z_alpha + z_beta) / h) ** 2
    from scipy import optimize  # lazily: only this solver needs scipy

    n: float = optimize.brentq(
        lambda x: _independent_power(x, h, z_alpha) - power, 1e-9, max(10.0, 4.0 * guess)
    )
    return max(1, math.ceil(float(n) - 1e-9))


def _paired_sample_size(
    p1: float, p2: float, *, discordant: float | None, z_alpha: float, z_beta: float
) -> int:
    if discordant is None:
        raise StatsInputError(
            "a paired design needs discordant: the expected share of prompts where the two "
            "systems disagree (--discordant)"
        )
    check_probability(discordant, name="discordant")
    delta = abs(p1 - p2)
    upper = min(p1 + p2, 2.0 - p1 - p2)
    if not delta <= discordant <= upper + 1e-12:
        raise StatsInputError(
            f"discordant={discordant} is impossible for p1={p1}, p2={p2}: it must be between "
            f"|p1 - p2| = {delta:g} and {upper:g}"
        )
    numerator = z_alpha * math.sqrt(discordant) + z_beta * math.sqrt(discordant - delta**2)
    return max(1, math.ceil(numerator**2 / delta**2 - 1e-9))


def interval_halfwidth(
    p: float,
    n: int,
    *,
    confidence: float = 0.95,
    method: Literal["wilson", "wald"] = "wilson",
) -> float:
    """Half the width of the interval ``n`` trials give when the true rate is ``p``.

    ``wald`` is ``z * sqrt(p (1 - p) / n)`` (what statsmodels'
    ``samplesize_confint_proportion`` inverts); ``wilson`` is half the Wilson
    interval at the expected count ``p * n``, which stays honest near 0 and 1
    where the Wald width collapses to zero.
    """
    check_probability(p, name="rate")
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise StatsInputError(f"n must be a whole number of at least 1, got {n!r}")
    z = z_value(confidence)
    if method == "wald":
        return z * math.sqrt(p * (1.0 - p) / n)
    if method != "wilson":
        raise StatsInputError(f"method must be 'wilson' or 'wald', got {method!r}")
    low, high = wilson_bounds(p * n, float(n), z)
    return (high - low) / 2.0


def expected_interval(p: float, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson interval expected from ``n`` trials at true rate ``p`` (count ``p * n``)."""
    check_probability(p, name="rate")
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise StatsInputError(f"n must be a whole number of at least 1, got {n!r}")
    return wilson_bounds(p * n, float(n), z_value(confidence))


def trials_to_clear(
    rate: float,
    threshold: float,
    *,
    upper: bool,
    confidence: float = 0.95,
    strict: bool = False,
    max_trials: int = 10_000_000,
) -> int | None:
    """The fewest trials whose expected Wilson interval at ``rate`` clears ``threshold``.

    ``upper``: the upper bound must be at or below ``threshold`` (a ``max`` gate);
    otherwise the lower bound at or above it (a ``min`` gate); ``strict``
    wants strictly below (above). None when no number of trials up to
    ``max_trials`` can (the rate is on the wrong side of the threshold, or on it).
    At ``rate`` 0 (or 1 for a lower bound) this is the smallest sample that can
    pass at all.
    """
    check_probability(rate, name="rate")
    check_probability(threshold, name="threshold")

    def clears(n: int) -> bool:
        low, high = expected_interval(rate, n, confidence=confidence)
        if strict:
            return high < threshold if upper else low > threshold
        return high <= threshold if upper else low >= threshold

    if not clears(max_trials):
        return None
    low_n, high_n = 0, max_trials  # clears(high_n) holds; clears(low_n) does not (or n=0)
    while high_n - low_n > 1:
        middle = (low_n + high_n) // 2
        if clears(middle):
            high_n = middle
        else:
            low_n = middle
    return high_n
