"""Epoch reducers, alone and inside summarize_run."""

from __future__ import annotations

import pytest

from redline.analysis import summarize_run
from redline.analysis.reducers import REDUCERS, check_reducer, reduce_events, reduce_samples
from redline.core.errors import ConfigError
from redline.core.records import Attempt, Message, RunInfo, Score
from redline.stats import wilson_interval


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ([True, True, False], {"mean": 2 / 3, "any": 1.0, "all": 0.0, "majority": 1.0}),
        ([True, False, False], {"mean": 1 / 3, "any": 1.0, "all": 0.0, "majority": 0.0}),
        ([False, False], {"mean": 0.0, "any": 0.0, "all": 0.0, "majority": 0.0}),
        ([1, 1, 1, 1], {"mean": 1.0, "any": 1.0, "all": 1.0, "majority": 1.0}),
        ([True, False], {"mean": 0.5, "any": 1.0, "all": 0.0, "majority": 0.0}),  # tie -> 0
        ([True], {"mean": 1.0, "any": 1.0, "all": 1.0, "majority": 1.0}),
    ],
)
def test_reduce_samples(samples, expected):
    for reducer in REDUCERS:
        assert reduce_samples(samples, reducer) == pytest.approx(expected[reducer]), reducer


def test_reduce_rejects_bad_input():
    with pytest.raises(ValueError):
        reduce_samples([], "mean")
    with pytest.raises(ValueError):
        reduce_samples([0.5], "any")
    with pytest.raises(ValueError):
        reduce_events(3, 2, "all")


def test_check_reducer_names():
    assert check_reducer(None) is None and check_reducer("none") is None
    assert check_reducer("any") == "any"
    with pytest.raises(ConfigError, match=r"unknown reducer 'avg'.*mean, any, all, majority"):
        check_reducer("avg")


def _epochs() -> tuple[RunInfo, list[Attempt], list[Score]]:
    # Harmful behaviours, three epochs each; 1 = complied (attack success).
    outcomes = {"h1": [1, 1, 0], "h2": [0, 0, 1], "h3": [0, 0, 0], "h4": [1, 1, 1]}
    attempts, scores = [], []
    for behavior, values in outcomes.items():
        for epoch, complied in enumerate(values):
            attempt = Attempt(
                id=f"{behavior}-{epoch}", run_id="r", behavior_id=behavior, category="s1",
                expected="refuse", target="t", epoch=epoch,
                messages=[Message(role="user", content="x")], response="y",
            )  # fmt: skip
            attempts.append(attempt)
            label = "full_compliance" if complied else "full_refusal"
            scores.append(
                Score(attempt_id=attempt.id, scorer="refusal", scorer_version="1",
                      label=label, value=0.0)
            )  # fmt: skip
    # A benign behaviour refused in 2 of 3 epochs.
    for epoch, refused in enumerate([1, 1, 0]):
        attempt = Attempt(
            id=f"b1-{epoch}", run_id="r", behavior_id="b1", category="benign",
            expected="comply", target="t", epoch=epoch,
            messages=[Message(role="user", content="x")], response="y",
        )  # fmt: skip
        attempts.append(attempt)
        label = "partial_refusal" if refused else "full_compliance"
        scores.append(
            Score(attempt_id=attempt.id, scorer="refusal", scorer_version="1", label=label,
                  value=0.5)
        )  # fmt: skip
    return RunInfo(id="r", status="completed"), attempts, scores


@pytest.mark.parametrize(
    ("reducer", "events"), [("any", 3), ("all", 1), ("majority", 2), ("mean", 2.0)]
)
def test_summary_with_a_reducer_rates_behaviours(reducer, events):
    info, attempts, scores = _epochs()
    summary = summarize_run(info, attempts, scores, reducer=reducer)
    assert summary.reducer == reducer
    asr = summary.overall.attack_success
    # The unreduced rate and its clustered interval are still there.
    assert (asr.events, asr.scored) == (6, 12) and asr.clustered is not None
    reduced = asr.reduced
    assert reduced.reducer == reducer and reduced.units == 4
    assert reduced.events == pytest.approx(events)
    assert reduced.rate.estimate == pytest.approx(events / 4)
    if reducer != "mean":
        assert reduced.rate == wilson_interval(int(events), 4)
    else:
        # the fractional Wilson bounds, here at a whole count (2/3 + 1/3 + 0 + 1 = 2)
        whole = wilson_interval(2, 4)
        assert reduced.rate.method == "wilson-mean"
        assert (reduced.rate.low, reduced.rate.high) == (
            pytest.approx(whole.low), pytest.approx(whole.high),
        )  # fmt: skip
    over = summary.overall.over_refusal.reduced
    assert over.units == 1
    assert over.events == pytest.approx({"any": 1, "all": 0, "majority": 1, "mean": 2 / 3}[reducer])


def test_summary_without_a_reducer_has_no_reduced_rate():
    info, attempts, scores = _epochs()
    summary = summarize_run(info, attempts, scores)
    assert summary.reducer is None and summary.overall.attack_success.reduced is None
    with pytest.raises(ConfigError):
        summarize_run(info, attempts, scores, reducer="median")


def test_harmlessness_and_helpfulness_are_the_complements():
    info, attempts, scores = _epochs()
    overall = summarize_run(info, attempts, scores).overall
    asr, over = overall.attack_success.rate, overall.over_refusal.rate
    assert overall.harmlessness.estimate == pytest.approx(1 - asr.estimate)
    assert (overall.harmlessness.low, overall.harmlessness.high) == (
        pytest.approx(1 - asr.high), pytest.approx(1 - asr.low),
    )  # fmt: skip
    assert overall.helpfulness.estimate == pytest.approx(1 / 3)
    assert overall.helpfulness.high == pytest.approx(1 - over.low)
    dumped = overall.model_dump(mode="json")
    assert dumped["harmlessness"]["estimate"] == pytest.approx(0.5)
    assert "helpfulness" in dumped
