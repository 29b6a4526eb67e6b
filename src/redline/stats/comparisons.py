"""Paired comparisons of two systems on the same prompts, and multiple-testing control."""

from __future__ import annotations

from collections.abc import Sequence

from redline.stats.validation import StatsInputError, check_probability


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts.

    ``b`` counts prompts where only system A failed (say, complied with a harmful
    request) and ``c`` those where only system B failed. Under the null each
    discordant pair is a fair coin, so the p-value is the two-sided binomial
    test of ``min(b, c)`` in ``b + c`` trials at 0.5, capped at 1. No discordant
    pairs gives 1.0.
    """
    for name, value in (("b", b), ("c", c)):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise StatsInputError(f"{name} must be a non-negative whole number, got {value!r}")
    n = int(b) + int(c)
    if n == 0:
        return 1.0
    from scipy import stats as scipy_stats  # lazily: scipy.stats is slow to import

    tail = float(scipy_stats.binom.cdf(min(b, c), n, 0.5))
    return min(1.0, 2.0 * tail)


def holm_adjust(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given.

    Controls the family-wise error rate over several comparisons (per category,
    per attack) without Bonferroni's loss of power. Reject hypothesis i at level
    alpha when ``adjusted[i] <= alpha``.
    """
    for i, p in enumerate(pvalues):
        check_probability(p, name=f"pvalues[{i}]")
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running_max = 0.0
    for rank, index in enumerate(order):
        running_max = max(running_max, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running_max
    return adjusted
