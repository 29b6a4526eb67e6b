"""Best-of-N: ASR@N from per-behaviour outcomes and the power-law fit."""

from __future__ import annotations

import math
import random

import pytest

from redline.attacks.best_of_n import asr_at_n, extrapolate, fit_power_law
from redline.core import ConfigError


def test_asr_at_n_counts_a_behaviour_broken_from_its_first_success():
    outcomes = {
        "a": [False, True, False],  # broken at N=2
        "b": [True, False, False],  # broken at N=1
        "c": [False, False, False],  # never
        "d": [False, False, True],  # broken at N=3
    }
    points = asr_at_n(outcomes)
    assert [p.broken for p in points] == [1, 2, 3]
    assert [p.asr for p in points] == [0.25, 0.5, 0.75]
    assert all(p.low <= p.asr <= p.high for p in points)
    assert [p.n for p in asr_at_n(outcomes, max_n=5)] == [1, 2, 3, 4, 5]
    assert asr_at_n({}) == []


def test_power_law_fit_recovers_known_parameters():
    a, b = 2.5, 0.6
    ns = list(range(1, 41))
    asr = [math.exp(-a * n ** (-b)) for n in ns]
    fit = fit_power_law(ns, asr)
    assert fit.a == pytest.approx(a, rel=1e-9)
    assert fit.b == pytest.approx(b, rel=1e-9)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.predict(1000) == pytest.approx(math.exp(-a * 1000 ** (-b)), rel=1e-9)
    low, high = fit.interval(1000)
    assert low == pytest.approx(high, abs=1e-6)  # a perfect fit has no error


def test_noisy_fit_gives_intervals_that_cover_the_truth():
    a, b = 3.0, 0.4
    rng = random.Random(0)
    ns = list(range(1, 61))
    asr = [math.exp(-a * n ** (-b) * math.exp(rng.gauss(0, 0.03))) for n in ns]
    fit = fit_power_law(ns, asr)
    assert fit.b_se > 0 and fit.log_a_se > 0
    assert abs(fit.b - b) < 3 * fit.b_se + 0.02
    low, high = fit.interval(500)
    truth = math.exp(-a * 500 ** (-b))
    assert low < truth < high
    assert low < fit.predict(500) < high


def test_fit_needs_three_informative_points():
    with pytest.raises(ConfigError, match="at least 3"):
        fit_power_law([1, 2, 3, 4], [0.0, 0.5, 1.0, 1.0])
    # A flat curve (few behaviours) is not a fit with zero error.
    with pytest.raises(ConfigError, match="got 1"):
        fit_power_law([1, 2, 3, 4], [2 / 3] * 4)


def test_extrapolate_from_simulated_behaviours():
    # Each behaviour breaks per sample with its own probability; ASR@N then
    # rises like the power law, and the 95% bootstrap interval is sane.
    rng = random.Random(1)
    outcomes = {}
    for i in range(200):
        p = rng.betavariate(0.3, 6)
        outcomes[f"b{i}"] = [rng.random() < p for _ in range(40)]
    fit, [delta] = extrapolate(outcomes, [200])
    _, [boot] = extrapolate(outcomes, [200], bootstrap=60, seed=2)
    observed = asr_at_n(outcomes)[-1].asr
    assert fit.b > 0
    assert delta.asr >= observed - 0.05  # extrapolation above N=40 does not fall
    assert boot.method == "bootstrap" and boot.low <= boot.asr <= boot.high
    assert 0 <= boot.low < boot.high <= 1
