"""PPI++: coverage by simulation, and the cases where it must reduce to simpler estimates."""

from __future__ import annotations

import numpy as np
import pytest

from redline.stats import StatsInputError, wilson_interval
from redline.stats.prediction_powered import ppi_mean

TRUE_RATE = 0.3
POPULATION = 2000
LABELS = 100
REPEATS = 400


def _population(rng: np.random.Generator, *, sensitivity: float, specificity: float):
    y = rng.random(POPULATION) < TRUE_RATE
    flagged = np.where(
        y, rng.random(POPULATION) < sensitivity, rng.random(POPULATION) > specificity
    )
    return y.astype(float), flagged.astype(float)


def _coverage(*, stratified: bool, sensitivity: float, specificity: float) -> tuple[float, float]:
    """Share of intervals covering the true rate, and their mean width."""
    rng = np.random.default_rng(20261204)
    covered, widths = 0, []
    for _ in range(REPEATS):
        y, f = _population(rng, sensitivity=sensitivity, specificity=specificity)
        if stratified:
            # Proportional allocation per scorer label, as `redline judge sample` does.
            picks = []
            for value in (0.0, 1.0):
                members = np.flatnonzero(f == value)
                take = max(2, round(LABELS * members.size / POPULATION))
                picks.append(rng.choice(members, size=take, replace=False))
            sample = np.concatenate(picks)
            result = ppi_mean(
                labelled_y=y[sample],
                labelled_f=f[sample],
                all_f=f,
                labelled_strata=f[sample].tolist(),
                all_strata=f.tolist(),
            )
        else:
            sample = rng.choice(POPULATION, size=LABELS, replace=False)
            result = ppi_mean(labelled_y=y[sample], labelled_f=f[sample], all_f=f)
        interval = result.interval
        covered += interval.low <= TRUE_RATE <= interval.high
        widths.append(interval.high - interval.low)
    return covered / REPEATS, float(np.mean(widths))


@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize(("sensitivity", "specificity"), [(0.8, 0.9), (0.55, 0.7), (0.98, 0.99)])
def test_intervals_cover_the_true_rate_about_95_percent(stratified, sensitivity, specificity):
    coverage, width = _coverage(
        stratified=stratified, sensitivity=sensitivity, specificity=specificity
    )
    # 400 repeats: a right 95% interval covers at least 92% of the time with
    # probability above 0.99. Near-perfect scorers over-cover (the smoothing that
    # stops a stratum of identical labels from claiming zero variance): valid, and
    # still narrower than the human labels alone.
    assert coverage >= 0.92, coverage
    human_only = wilson_interval(round(TRUE_RATE * LABELS), LABELS)
    assert width <= (human_only.high - human_only.low) * 1.05


def test_the_raw_rate_of_a_biased_scorer_misses_where_ppi_does_not():
    rng = np.random.default_rng(7)
    y, f = _population(rng, sensitivity=0.5, specificity=0.7)
    raw = wilson_interval(int(f.sum()), POPULATION)
    assert not raw.low <= TRUE_RATE <= raw.high  # expected raw rate 0.5*0.3 + 0.3*0.7 = 0.36
    sample = rng.choice(POPULATION, size=200, replace=False)
    result = ppi_mean(labelled_y=y[sample], labelled_f=f[sample], all_f=f)
    assert result.interval.low <= y.mean() <= result.interval.high


def test_a_perfect_scorer_gets_full_weight_and_a_narrow_interval():
    rng = np.random.default_rng(1)
    y = (rng.random(1000) < 0.4).astype(float)
    sample = rng.choice(1000, size=50, replace=False)
    result = ppi_mean(labelled_y=y[sample], labelled_f=y[sample], all_f=y)
    assert result.tuning > 0.9
    assert result.interval.estimate == pytest.approx(y.mean(), abs=0.01)
    assert result.interval.high - result.interval.low < 0.1  # human labels alone: 0.27


def test_a_useless_scorer_falls_back_to_the_human_labels():
    rng = np.random.default_rng(2)
    y = (rng.random(1000) < 0.4).astype(float)
    f = (rng.random(1000) < 0.5).astype(float)  # independent of y
    sample = rng.choice(1000, size=100, replace=False)
    result = ppi_mean(labelled_y=y[sample], labelled_f=f[sample], all_f=f)
    assert result.tuning < 0.3
    assert result.interval.estimate == pytest.approx(y[sample].mean(), abs=0.03)


def test_strata_without_labels_fall_back_to_unstratified():
    f = [0.0] * 50 + [1.0] * 50 + [0.5] * 10
    result = ppi_mean(
        labelled_y=[0, 1, 0, 1],
        labelled_f=[0.0, 1.0, 0.0, 1.0],
        all_f=f,
        labelled_strata=["a", "b", "a", "b"],
        all_strata=["a"] * 50 + ["b"] * 50 + ["c"] * 10,
    )
    assert not result.stratified and result.interval.method == "ppi++"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labelled_y": [1], "labelled_f": [1], "all_f": [1, 0]}, "at least 2"),
        ({"labelled_y": [1, 0], "labelled_f": [1], "all_f": [1, 0]}, "same length"),
        ({"labelled_y": [1, 0], "labelled_f": [1, 0], "all_f": [1]}, "cover every item"),
        (
            {"labelled_y": [1, 0], "labelled_f": [1, 0], "all_f": [1, 0], "all_strata": [1, 1]},
            "both",
        ),
    ],
)
def test_bad_input_says_what_is_wrong(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        ppi_mean(**kwargs)
