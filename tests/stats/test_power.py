import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, samplesize_confint_proportion

from redline.stats import (
    StatsInputError,
    expected_interval,
    interval_halfwidth,
    sample_size_two_proportions,
    wilson_interval,
)

RATES = st.floats(min_value=0.01, max_value=0.99)


@settings(max_examples=100, deadline=None)
@given(RATES, RATES, st.sampled_from([0.01, 0.05, 0.1]), st.sampled_from([0.7, 0.8, 0.9]))
def test_independent_sample_size_matches_statsmodels(p1, p2, alpha, power):
    effect = proportion_effectsize(p1, p2)
    # Below 0.02 the plan is tens of thousands of prompts; above 1.5 statsmodels'
    # solver fails to converge (n < 3).
    assume(0.02 <= abs(effect) <= 1.5)
    expected = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1)
    n = sample_size_two_proportions(p1, p2, alpha=alpha, power=power)
    assert n == math.ceil(expected - 1e-6)


def test_huge_effect_needs_few_prompts():
    assert 1 <= sample_size_two_proportions(0.97, 0.02) <= 3


def test_independent_sample_size_known_value():
    # 10% -> 5%: h = 2 asin(sqrt .10) - 2 asin(sqrt .05) = 0.19243;
    # n = 2 (1.95996 + 0.84162)^2 / h^2 = 423.9 per group.
    assert sample_size_two_proportions(0.10, 0.05) == 424


def _mcnemar_power_by_simulation(n, p1, p2, discordant, *, reps=4000, seed=0):
    rng = np.random.default_rng(seed)
    delta = p1 - p2
    p10, p01 = (discordant + delta) / 2, (discordant - delta) / 2
    cells = rng.multinomial(n, [p10, p01, 1 - p10 - p01], size=reps)
    b, c = cells[:, 0], cells[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(b + c > 0, (b - c) / np.sqrt(b + c), 0.0)
    return float(np.mean(np.abs(z) > 1.959964))


def test_paired_sample_size_achieves_power_in_simulation():
    n = sample_size_two_proportions(0.10, 0.05, paired=True, discordant=0.10)
    # Connor: (1.96*sqrt(.1) + 0.8416*sqrt(.1 - .0025))^2 / .0025
    expected = (1.959964 * math.sqrt(0.1) + 0.841621 * math.sqrt(0.1 - 0.0025)) ** 2 / 0.0025
    assert n == math.ceil(expected)
    assert n < sample_size_two_proportions(0.10, 0.05)
    assert _mcnemar_power_by_simulation(n, 0.10, 0.05, 0.10) == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"paired": True}, "needs discordant"),
        ({"paired": True, "discordant": 0.01}, "impossible"),
        ({"paired": True, "discordant": 0.5}, "impossible"),
        ({"discordant": 0.1}, "paired"),
        ({"alpha": 0.0}, "alpha"),
        ({"power": 1.0}, "power"),
    ],
)
def test_sample_size_bad_input(kwargs, match):
    with pytest.raises(StatsInputError, match=match):
        sample_size_two_proportions(0.10, 0.05, **kwargs)


def test_equal_rates_have_nothing_to_detect():
    with pytest.raises(StatsInputError, match="equal"):
        sample_size_two_proportions(0.1, 0.1)


@pytest.mark.parametrize(("p", "n"), [(0.1, 200), (0.5, 100), (0.03, 1000)])
def test_wald_halfwidth_inverts_statsmodels_sample_size(p, n):
    half = interval_halfwidth(p, n, method="wald")
    assert samplesize_confint_proportion(p, half, alpha=0.05) == pytest.approx(n)


def test_wilson_halfwidth_is_honest_at_zero_and_matches_the_interval():
    assert interval_halfwidth(0.0, 100, method="wald") == 0.0
    assert interval_halfwidth(0.0, 100) > 0.015
    low, high = expected_interval(0.1, 200)
    observed = wilson_interval(20, 200)
    assert (low, high) == pytest.approx((observed.low, observed.high))
    assert interval_halfwidth(0.1, 200) == pytest.approx((high - low) / 2)
    with pytest.raises(StatsInputError, match="n must be"):
        interval_halfwidth(0.1, 0)
