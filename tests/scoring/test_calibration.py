from __future__ import annotations

import json

import pytest
from sklearn.metrics import cohen_kappa_score

from redline.core import ConfigError, RunInfo
from redline.scoring.calibration import (
    Calibration,
    LabelledRecord,
    apply_calibration,
    cohen_kappa,
    compare_labels,
    corrected_rate,
    read_labels,
)
from redline.stats import rogan_gladen, rogan_gladen_interval

HUMAN = ["harmful"] * 10 + ["not_harmful"] * 10
# the scorer misses 2 harmful (sensitivity 0.8) and flags 1 harmless (specificity 0.9)
SCORER = ["harmful"] * 8 + ["not_harmful"] * 2 + ["harmful"] + ["not_harmful"] * 9


def records(human=HUMAN):
    return [
        LabelledRecord(
            line=i + 1,
            id=str(i),
            prompt="p",
            response="r",
            human_label=h,
            category="s1" if i % 2 else "s2",
        )
        for i, h in enumerate(human)
    ]


def calibration():
    return compare_labels(
        records(), SCORER, scorer="harm", scorer_version="1", positive_labels=["harmful"]
    )


def test_kappa_matches_sklearn():
    assert cohen_kappa(HUMAN, SCORER) == pytest.approx(cohen_kappa_score(HUMAN, SCORER))
    three_h = ["a", "b", "c", "a", "b", "c", "a", "a"]
    three_s = ["a", "b", "b", "a", "c", "c", "b", "a"]
    assert cohen_kappa(three_h, three_s) == pytest.approx(cohen_kappa_score(three_h, three_s))
    assert cohen_kappa([], []) is None


def test_calibration_numbers():
    cal = calibration()
    o = cal.overall
    assert (o.tp, o.fn, o.tn, o.fp) == (8, 2, 9, 1)
    assert o.sensitivity.estimate == pytest.approx(0.8)
    assert o.specificity.estimate == pytest.approx(0.9)
    assert o.false_positive_rate.estimate == pytest.approx(0.1)
    assert o.false_negative_rate.estimate == pytest.approx(0.2)
    assert cal.agreement.estimate == pytest.approx(17 / 20)
    assert cal.kappa == pytest.approx(cohen_kappa_score(HUMAN, SCORER))
    assert [c.name for c in cal.by_category] == ["s1", "s2"]
    assert sum(c.n for c in cal.by_category) == 20
    assert cal.confusion["harmful"] == {"harmful": 8, "not_harmful": 2}


def test_judge_errors_are_excluded_and_counted():
    scorer = list(SCORER)
    scorer[0] = "judge_error"
    cal = compare_labels(
        records(), scorer, scorer="harm", scorer_version="1", positive_labels=["harmful"]
    )
    assert (cal.n, cal.judge_errors) == (19, 1)
    assert cal.overall.tp == 7


def test_corrected_rate_is_rogan_gladen_with_a_wider_interval():
    cal = calibration()
    result = corrected_rate(30, 100, cal)
    corrected = result["corrected"]
    assert corrected["estimate"] == pytest.approx(rogan_gladen(0.3, 0.8, 0.9))
    naive = rogan_gladen_interval(30, 100, sensitivity=0.8, specificity=0.9)
    assert corrected["low"] <= naive.low and corrected["high"] >= naive.high
    # the uncertainty of sensitivity and specificity (20 labels) really widens it
    assert (corrected["high"] - corrected["low"]) > 1.3 * (naive.high - naive.low)


def test_more_labels_narrow_the_corrected_interval():
    small = corrected_rate(30, 100, calibration())["corrected"]
    big = compare_labels(
        records(HUMAN * 20),
        SCORER * 20,
        scorer="harm",
        scorer_version="1",
        positive_labels=["harmful"],
    )
    large = corrected_rate(30, 100, big)["corrected"]
    assert (large["high"] - large["low"]) < (small["high"] - small["low"])


def test_zero_scored_and_useless_scorer():
    cal = calibration()
    empty = corrected_rate(0, 0, cal)["corrected"]
    assert (empty["estimate"], empty["low"], empty["high"]) == (None, 0.0, 1.0)
    useless = compare_labels(
        records(),
        ["harmful"] * 20,
        scorer="harm",
        scorer_version="1",
        positive_labels=["harmful"],
    )
    assert corrected_rate(5, 10, useless)["corrected"] is None


def test_read_labels_reports_unknown_values_with_lines(tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [
        {"prompt": "p", "response": "r", "human_label": "harmful"},
        {"prompt": "p", "response": "r", "human_label": "unsafe"},
        {"prompt": "p", "response": "r", "label": "not_harmful"},
        {"prompt": "p", "response": "r", "human_label": "unsafe"},
        {"prompt": "p", "response": "r", "human_label": "bad"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(ConfigError) as info:
        read_labels(path, allowed=["harmful", "not_harmful"])
    message = str(info.value)
    assert "'unsafe' (lines 2, 4)" in message and "'bad' (lines 5)" in message
    path.write_text('{"prompt": "p", "response": "r", "human_label": "harmful"}\n{not json\n')
    with pytest.raises(ConfigError, match=r"labels.jsonl:2: not valid JSON"):
        read_labels(path)
    path.write_text('{"prompt": "p", "human_label": "harmful"}\n')
    with pytest.raises(ConfigError, match=r":1: field 'response'"):
        read_labels(path)


def test_calibration_file_round_trip(tmp_path):
    cal = calibration()
    path = tmp_path / "calib.json"
    cal.save(path)
    assert Calibration.load(path) == cal
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a calibration file"):
        Calibration.load(tmp_path / "bad.json")


def test_apply_calibration_to_a_run_summary():
    from redline.analysis import summarize_run
    from redline.core import Attempt, Message, Score

    attempts, scores = [], []
    for i in range(20):
        attempt = Attempt(
            id=f"a{i}",
            run_id="r",
            behavior_id=f"b{i}",
            category="s1",
            expected="refuse",
            target="t",
            messages=[Message(role="user", content="x")],
            response="y",
        )
        attempts.append(attempt)
        label = "full_compliance" if i < 6 else "full_refusal"
        if i == 19:
            label = "judge_error"
        scores.append(
            Score(attempt_id=attempt.id, scorer="refusal", scorer_version="1", label=label, value=0)
        )
    summary = summarize_run(RunInfo(id="r"), attempts, scores, scorer="refusal")
    refusal_cal = compare_labels(
        records(),
        SCORER,
        scorer="refusal",
        scorer_version="1",
        positive_labels=["harmful"],
    )
    corrected = apply_calibration(summary, refusal_cal)
    overall = corrected.judge_correction["overall"]
    assert overall["judge_errors"] == 1
    assert overall["observed"]["estimate"] == pytest.approx(6 / 19)
    assert overall["corrected"]["estimate"] == pytest.approx(rogan_gladen(6 / 19, 0.8, 0.9))
    assert corrected.model_dump(mode="json")["judge_correction"]["by_category"][0]["name"] == "s1"
    with pytest.raises(ConfigError, match="calibration is for scorer 'harm'"):
        apply_calibration(summary, calibration())
