import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from redline.core.errors import ConfigError
from redline.stats import (
    StatsInputError,
    bootstrap_interval,
    clopper_pearson_interval,
    clustered_proportion_interval,
    design_effect,
    wilson_interval,
)

CONFIDENCES = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@st.composite
def counts(draw):
    n = draw(st.integers(min_value=1, max_value=5000))
    k = draw(st.integers(min_value=0, max_value=n))
    return k, n


@settings(max_examples=300, deadline=None)
@given(counts(), CONFIDENCES)
def test_wilson_matches_statsmodels(kn, confidence):
    k, n = kn
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    interval = wilson_interval(k, n, confidence=confidence)
    assert interval.estimate == pytest.approx(k / n)
    assert interval.low == pytest.approx(low, abs=1e-12)
    assert interval.high == pytest.approx(high, abs=1e-12)
    assert 0.0 <= interval.low <= interval.estimate <= interval.high <= 1.0


@settings(max_examples=300, deadline=None)
@given(counts(), CONFIDENCES)
def test_clopper_pearson_matches_statsmodels(kn, confidence):
    k, n = kn
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    interval = clopper_pearson_interval(k, n, confidence=confidence)
    assert interval.low == pytest.approx(low, abs=1e-10)
    assert interval.high == pytest.approx(high, abs=1e-10)


def test_clopper_pearson_is_wider_than_wilson():
    exact = clopper_pearson_interval(3, 40)
    wilson = wilson_interval(3, 40)
    assert exact.low < wilson.low and exact.high > wilson.high


@pytest.mark.parametrize("make", [wilson_interval, clopper_pearson_interval])
def test_zero_trials_is_uninformative_not_nan(make):
    interval = make(0, 0)
    assert interval.estimate is None
    assert (interval.low, interval.high) == (0.0, 1.0)
    assert interval.format() == "n/a [0.0, 100.0]"


def test_edges_are_exact():
    assert wilson_interval(0, 50).low == 0.0
    assert wilson_interval(50, 50).high == 1.0
    assert wilson_interval(5, 40).format() == "12.5% [5.5, 26.1]"


@pytest.mark.parametrize(
    ("k", "n", "confidence", "match"),
    [
        (5, 3, 0.95, "0 <= k <= n"),
        (-1, 3, 0.95, "0 <= k <= n"),
        (1.5, 3, 0.95, "whole numbers"),
        (1, 3, 1.2, "confidence"),
        (1, 3, 0.0, "confidence"),
    ],
)
def test_bad_counts_raise_one_clear_error(k, n, confidence, match):
    with pytest.raises(StatsInputError, match=match) as info:
        wilson_interval(k, n, confidence=confidence)
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


def test_bootstrap_is_reproducible_by_seed():
    values = np.random.default_rng(42).normal(size=200)
    first = bootstrap_interval(values, np.mean, seed=7)
    again = bootstrap_interval(values, np.mean, seed=7)
    other = bootstrap_interval(values, np.mean, seed=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)


def test_bootstrap_agrees_with_normal_theory_for_a_mean():
    values = np.random.default_rng(1).normal(loc=3.0, scale=2.0, size=400)
    interval = bootstrap_interval(values, np.mean, n_resamples=4000, seed=0)
    se = values.std(ddof=1) / math.sqrt(values.size)
    assert interval.estimate == pytest.approx(values.mean())
    assert interval.low == pytest.approx(values.mean() - 1.96 * se, abs=0.25 * se)
    assert interval.high == pytest.approx(values.mean() + 1.96 * se, abs=0.25 * se)


def test_bootstrap_any_statistic_and_empty_input():
    values = [1, 2, 3, 4, 100]
    interval = bootstrap_interval(values, np.median, n_resamples=500, seed=3)
    assert interval.estimate == 3.0
    assert interval.low <= 3.0 <= interval.high
    with pytest.raises(StatsInputError, match="non-empty"):
        bootstrap_interval([], np.mean)


def _behaviour_clusters(rng, *, behaviours, epochs, correlated):
    if correlated:
        # Every epoch of a behaviour gets the same answer.
        successes = (rng.uniform(size=behaviours) < 0.3).astype(int) * epochs
    else:
        successes = rng.binomial(epochs, 0.3, size=behaviours)
    return successes.tolist(), [epochs] * behaviours


def test_clustered_interval_is_wider_when_epochs_agree():
    rng = np.random.default_rng(5)
    successes, trials = _behaviour_clusters(rng, behaviours=60, epochs=5, correlated=True)
    clustered = clustered_proportion_interval(successes, trials)
    plain = wilson_interval(sum(successes), sum(trials))
    assert clustered.estimate == pytest.approx(plain.estimate)
    assert clustered.halfwidth > 1.8 * plain.halfwidth
    assert design_effect(successes, trials) == pytest.approx(5.0, rel=0.05)


def test_clustered_interval_close_to_wilson_when_epochs_independent():
    rng = np.random.default_rng(6)
    successes, trials = _behaviour_clusters(rng, behaviours=400, epochs=5, correlated=False)
    clustered = clustered_proportion_interval(successes, trials)
    plain = wilson_interval(sum(successes), sum(trials))
    assert clustered.halfwidth == pytest.approx(plain.halfwidth, rel=0.2)
    assert clustered.halfwidth >= plain.halfwidth


def test_design_effect_matches_statsmodels_cluster_robust_variance():
    rng = np.random.default_rng(9)
    trials = rng.integers(1, 8, size=40)
    successes = np.array(
        [rng.binomial(t, p) for t, p in zip(trials, rng.uniform(0, 1, 40), strict=True)]
    )
    y = np.concatenate(
        [[1] * s + [0] * (t - s) for s, t in zip(successes, trials, strict=True)]
    ).astype(float)
    groups = np.repeat(np.arange(40), trials)
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    p = y.mean()
    expected = fit.bse[0] ** 2 / (p * (1 - p) / y.size)
    assert design_effect(successes.tolist(), trials.tolist()) == pytest.approx(
        max(1.0, expected), rel=1e-9
    )


def test_clustered_interval_defined_at_zero_and_without_trials():
    zero = clustered_proportion_interval([0, 0, 0], [5, 5, 5])
    assert zero == clustered_proportion_interval([0, 0, 0], [5, 5, 5])
    assert zero.estimate == 0.0 and zero.low == 0.0 and zero.high > 0.0
    empty = clustered_proportion_interval([], [])
    assert empty.estimate is None and (empty.low, empty.high) == (0.0, 1.0)
    with pytest.raises(StatsInputError, match="entries"):
        clustered_proportion_interval([1, 2], [3])
    with pytest.raises(StatsInputError, match="successes"):
        clustered_proportion_interval([4], [3])
