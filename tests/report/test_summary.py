import json

import pytest
from statsmodels.stats.proportion import proportion_confint

from redline.analysis import RunSummary, benign_type, summarize_run
from redline.core.records import RunInfo
from redline.stats import wilson_interval


def _wilson(k, n):
    return pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


def test_overall_counts_by_hand(run_info, hand_run):
    attempts, scores = hand_run
    summary = summarize_run(run_info, attempts, scores)
    overall = summary.overall
    assert overall.attempts == 10
    assert overall.errors == 2 and overall.errors_by_kind == {"timeout": 1, "transient": 1}
    assert overall.unscored == 1  # h6
    assert overall.scored == 7
    assert (overall.full_refusals, overall.partial_refusals, overall.full_compliances) == (3, 2, 2)
    assert overall.refusal_rate.estimate == pytest.approx(5 / 7)
    assert (overall.refusal_rate.low, overall.refusal_rate.high) == _wilson(5, 7)
    # ASR: h1 of h1, h2, h3, h5 (h4 errored, h6 unlabelled)
    assert (overall.attack_success.events, overall.attack_success.scored) == (1, 4)
    assert (overall.attack_success.rate.low, overall.attack_success.rate.high) == _wilson(1, 4)
    # over-refusal: b1 (full) and b3 (partial) of b1, b2, b3
    assert (overall.over_refusal.events, overall.over_refusal.scored) == (2, 3)
    # accuracy: h2, h3, h5 refused + b2 complied
    assert overall.accuracy.estimate == pytest.approx(4 / 7)
    assert overall.attack_success.clustered is None  # one epoch: no clustering
    assert overall.latency_p50_s == pytest.approx(0.5)
    assert summary.targets == ["local:smollm2"]
    assert summary.behaviors == 10 and summary.epochs == 1
    assert summary.engine_stats["retries"] == 2


def test_per_category_attack_and_benign_type(run_info, hand_run):
    attempts, scores = hand_run
    summary = summarize_run(run_info, attempts, scores)
    by_category = {g.name: g for g in summary.by_category}
    # Natural order: hazards as the taxonomy lists them, benign last.
    assert list(by_category) == ["s1", "s9", "benign"]
    s1, s9, benign = by_category["s1"], by_category["s9"], by_category["benign"]
    assert (s1.attempts, s1.errors, s1.scored) == (4, 1, 3)
    assert (s1.attack_success.events, s1.attack_success.scored) == (1, 3)
    assert (s9.attempts, s9.unscored, s9.attack_success.scored) == (2, 1, 1)
    assert s9.attack_success.rate.estimate == 0.0
    assert s9.over_refusal.scored == 0 and s9.over_refusal.rate.estimate is None
    assert (benign.over_refusal.events, benign.over_refusal.scored) == (2, 3)
    assert [g.name for g in summary.by_attack] == ["none"]
    types = {g.name: g for g in summary.by_benign_type}
    assert set(types) == {"homonym", "ordinary"}
    assert (types["homonym"].over_refusal.events, types["homonym"].over_refusal.scored) == (1, 2)
    assert (types["ordinary"].over_refusal.events, types["ordinary"].errors) == (1, 1)


def test_a_category_with_only_errors_still_has_intervals(run_info, attempt_factory):
    attempts = [attempt_factory("x", category="s5", error=("auth", "401"))]
    summary = summarize_run(run_info, attempts, [])
    group = summary.by_category[0]
    assert group.errors == 1 and group.scored == 0
    for interval in (group.refusal_rate, group.attack_success.rate, group.accuracy):
        assert interval.estimate is None and (interval.low, interval.high) == (0.0, 1.0)


def test_epochs_give_a_clustered_interval(run_info, synthetic_run):
    attempts, scores = synthetic_run(300, epochs=3)
    summary = summarize_run(run_info, attempts, scores)
    asr = summary.overall.attack_success
    assert summary.epochs == 3
    assert asr.clustered is not None and asr.design_effect is not None
    assert asr.clustered.estimate == pytest.approx(asr.rate.estimate)
    assert asr.clustered.halfwidth >= asr.rate.halfwidth
    assert summary.overall.refusal_rate_clustered is not None


def test_summary_is_json_serialisable_and_round_trips(run_info, hand_run):
    attempts, scores = hand_run
    summary = summarize_run(run_info, attempts, scores)
    text = json.dumps(summary.model_dump(mode="json"))
    again = RunSummary.model_validate_json(text)
    assert again == summary
    assert again.overall.attack_success.rate == wilson_interval(1, 4)


def test_other_scorer_and_unknown_labels(run_info, hand_run):
    attempts, scores = hand_run
    summary = summarize_run(run_info, attempts, scores, scorer="harm")
    # "harm" labelled every attempt full_compliance; errors still excluded
    assert summary.overall.scored == 8 and summary.overall.errors == 2
    assert summary.overall.full_compliances == 8
    assert summarize_run(RunInfo(id="r"), attempts, [], scorer="refusal").overall.unscored == 8


def test_benign_type_from_tags():
    assert benign_type(["borderline", "benign_type:homonym"]) == "homonym"
    assert benign_type(["benign_type=fiction"]) == "fiction"
    assert benign_type(["borderline"]) == "borderline"
    assert benign_type(["ordinary"]) == "ordinary"
    assert benign_type([]) == "unspecified"
