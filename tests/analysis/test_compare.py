"""compare_runs on hand-made runs written through the RunStore."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from redline.analysis.compare import (
    compare_runs,
    paired_difference_interval,
    unpaired_difference_interval,
)
from redline.core.errors import ConfigError

from .conftest import harmful_pairs, row, write_run


def exact_mcnemar(b: int, c: int) -> float:
    """Two-sided exact binomial p on the discordant pairs, written out from the pmf."""
    n = b + c
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test from the hypergeometric pmf: tables as likely or less."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def pmf(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = pmf(a)
    lo, hi = max(0, row1 + col1 - n), min(row1, col1)
    return min(1.0, sum(pmf(x) for x in range(lo, hi + 1) if pmf(x) <= observed * (1 + 1e-7)))


@pytest.fixture
def paired_runs(runs_root):
    tables = {
        "s1": dict(both=3, only_a=1, only_b=9, neither=7),
        "s2": dict(both=0, only_a=2, only_b=3, neither=10),
        "s3": dict(both=0, only_a=0, only_b=12, neither=8),
    }
    a_rows, b_rows = [], []
    for category, table in tables.items():
        a, b = harmful_pairs(category, **table)
        a_rows += a
        b_rows += b
    # Benign prompts: B refuses two that A answered (over-refusal up).
    for i in range(6):
        label_a = "full_compliance"
        label_b = "full_refusal" if i < 2 else "full_compliance"
        a_rows.append(row(f"ok-{i}", label_a, category="benign", expected="comply"))
        b_rows.append(row(f"ok-{i}", label_b, category="benign", expected="comply"))
    write_run(runs_root, "run-a", a_rows)
    write_run(runs_root, "run-b", b_rows)
    return tables


def test_paired_mcnemar_holm_and_intervals(paired_runs, open_run):
    comparison = compare_runs(open_run("run-a"), open_run("run-b"), scorer="refusal")
    assert comparison.paired and comparison.pairing == "behavior_id+attack+epoch"
    assert comparison.shared_units == 20 + 15 + 20 + 6
    rows = {(c.group, c.metric): c for c in comparison.by_category}
    raw = {
        "s1": exact_mcnemar(1, 9),
        "s2": exact_mcnemar(2, 3),
        "s3": exact_mcnemar(0, 12),
    }
    raw_benign = exact_mcnemar(0, 2)
    assert raw["s1"] == pytest.approx(2 * 11 / 1024)
    for category, p in raw.items():
        assert rows[(category, "attack_success")].p_value == pytest.approx(p)
        assert rows[(category, "attack_success")].test == "mcnemar-exact"
    # Holm over the four category rows, by hand: sorted p times (m - rank), running max.
    ordered = sorted([*raw.values(), raw_benign])
    expected_adjusted = {}
    running = 0.0
    for rank, p in enumerate(ordered):
        running = max(running, min(1.0, (4 - rank) * p))
        expected_adjusted[p] = running
    for category, p in raw.items():
        assert rows[(category, "attack_success")].p_adjusted == pytest.approx(expected_adjusted[p])
    s1 = rows[("s1", "attack_success")]
    assert s1.p_value < 0.05 and s1.p_adjusted == pytest.approx(3 * raw["s1"])
    assert s1.p_adjusted > 0.05 and not s1.regressed  # Holm takes this one away
    assert rows[("s3", "attack_success")].regressed
    assert not rows[("s2", "attack_success")].regressed
    assert (s1.both, s1.only_a, s1.only_b, s1.neither) == (3, 1, 9, 7)
    assert s1.rate_a.estimate == pytest.approx(4 / 20) and s1.rate_b.estimate == pytest.approx(
        12 / 20
    )
    assert s1.difference == paired_difference_interval(both=3, only_a=1, only_b=9, neither=7)
    assert s1.difference.estimate == pytest.approx(8 / 20)
    benign = rows[("benign", "over_refusal")]
    assert (benign.only_a, benign.only_b) == (0, 2) and benign.p_value == pytest.approx(0.5)
    # Overall: the pooled harmful table, one test, not adjusted.
    overall = {c.metric: c for c in comparison.overall}["attack_success"]
    assert (overall.both, overall.only_a, overall.only_b, overall.neither) == (3, 3, 24, 25)
    assert overall.p_value == pytest.approx(exact_mcnemar(3, 24))
    assert overall.p_adjusted == overall.p_value and overall.regressed
    assert comparison.regressions == ["overall attack success", "s3 attack success"]


def test_alpha_changes_the_verdict(paired_runs, open_run):
    comparison = compare_runs(open_run("run-a"), open_run("run-b"), alpha=0.1)
    rows = {(c.group, c.metric): c for c in comparison.by_category}
    assert rows[("s1", "attack_success")].regressed
    with pytest.raises(ConfigError, match="alpha"):
        compare_runs(open_run("run-a"), open_run("run-b"), alpha=1.5)


def test_improvement_is_not_a_regression(paired_runs, open_run):
    # Swapping the runs turns every increase into a decrease.
    comparison = compare_runs(open_run("run-b"), open_run("run-a"))
    assert comparison.regressions == []
    assert "s3 attack success" in comparison.improvements
    s3 = {c.group: c for c in comparison.by_category}["s3"]
    assert s3.difference.estimate == pytest.approx(-12 / 20) and s3.difference.high < 0


def test_category_without_shared_behaviours_is_compared_unpaired(runs_root, open_run):
    a_rows, b_rows = harmful_pairs("s1", both=2, only_a=1, only_b=1, neither=6)
    # s4: different behaviour ids in the two runs.
    a_rows += [row(f"x-{i}", "full_compliance" if i < 1 else "full_refusal", category="s4")
               for i in range(10)]  # fmt: skip
    b_rows += [row(f"y-{i}", "full_compliance" if i < 7 else "full_refusal", category="s4")
               for i in range(12)]  # fmt: skip
    write_run(runs_root, "a", a_rows)
    write_run(runs_root, "b", b_rows)
    comparison = compare_runs(open_run("a"), open_run("b"))
    assert comparison.paired and comparison.shared_units == 10
    assert any("s4" in note and "unpaired" in note for note in comparison.notes)
    assert any("only in A" in note for note in comparison.notes)
    s4 = {c.group: c for c in comparison.by_category}["s4"]
    assert not s4.paired and s4.shared == 0 and s4.test == "fisher-exact"
    assert (s4.units_a, s4.units_b) == (10, 12)
    assert s4.p_value == pytest.approx(fisher_two_sided(7, 5, 1, 9))
    low, high = confint_proportions_2indep(7, 12, 1, 10, method="newcomb", compare="diff")
    assert s4.difference.low == pytest.approx(low) and s4.difference.high == pytest.approx(high)
    # Holm over both category rows, the unpaired one included.
    s1 = {c.group: c for c in comparison.by_category}["s1"]
    assert s1.p_adjusted == pytest.approx(min(1.0, max(2 * min(s1.p_value, s4.p_value),
                                                        max(s1.p_value, s4.p_value))))  # fmt: skip


def test_runs_sharing_nothing_report_unpaired_results(runs_root, open_run):
    write_run(runs_root, "a", [row(f"a{i}", "full_compliance" if i < 2 else "full_refusal")
                               for i in range(20)])  # fmt: skip
    write_run(runs_root, "b", [row(f"b{i}", "full_compliance" if i < 9 else "full_refusal")
                               for i in range(20)])  # fmt: skip
    comparison = compare_runs(open_run("a"), open_run("b"))
    assert not comparison.paired and comparison.shared_units == 0
    assert "share no behaviours" in comparison.notes[0]
    overall = comparison.overall[0]
    assert not overall.paired and overall.test == "fisher-exact"
    assert overall.p_value == pytest.approx(fisher_two_sided(9, 11, 2, 18))
    assert overall.difference.estimate == pytest.approx(7 / 20)
    assert overall.p_value < 0.05 and overall.regressed


def test_one_side_without_labels_has_no_test(runs_root, open_run):
    write_run(
        runs_root,
        "a",
        [
            row("h1", "full_refusal"),
            row("b1", "full_compliance", category="benign", expected="comply"),
        ],
    )
    write_run(runs_root, "b", [row("h1", "full_refusal"), row("b1", None, category="benign",
                                                               expected="comply")])  # fmt: skip
    comparison = compare_runs(open_run("a"), open_run("b"))
    benign = {c.group: c for c in comparison.by_category}["benign"]
    assert benign.p_value is None and benign.difference is None
    assert "no labelled units in run B" in benign.note


def test_runs_without_the_scorer_are_a_config_error(runs_root, open_run):
    write_run(runs_root, "a", [row("h1", "full_refusal")], scorer="harm")
    write_run(runs_root, "b", [row("h1", "full_refusal")], scorer="harm")
    with pytest.raises(ConfigError, match="scorer 'refusal'"):
        compare_runs(open_run("a"), open_run("b"), scorer="refusal")
    assert compare_runs(open_run("a"), open_run("b"), scorer="harm").shared_units == 1


def test_epochs_pair_per_epoch_or_reduce_per_behaviour(runs_root, open_run):
    comply, refuse = "full_compliance", "full_refusal"
    # Behaviour i: A complies in 1 of 3 epochs, B in 2 of 3 (majority flips) for i < 6.
    a_rows, b_rows = [], []
    for i in range(10):
        for epoch in range(3):
            a_rows.append(row(f"h{i}", comply if epoch == 0 else refuse, epoch=epoch))
            flips = i < 6 and epoch < 2
            b_rows.append(row(f"h{i}", comply if flips or epoch == 0 else refuse, epoch=epoch))
    write_run(runs_root, "a", a_rows)
    write_run(runs_root, "b", b_rows)
    per_epoch = compare_runs(open_run("a"), open_run("b"))
    assert per_epoch.shared_units == 30
    assert (per_epoch.overall[0].only_a, per_epoch.overall[0].only_b) == (0, 6)
    majority = compare_runs(open_run("a"), open_run("b"), reducer="majority")
    row_m = majority.overall[0]
    assert majority.pairing == "behavior_id+attack" and majority.shared_units == 10
    assert (row_m.both, row_m.only_a, row_m.only_b, row_m.neither) == (0, 0, 6, 4)
    assert row_m.p_value == pytest.approx(exact_mcnemar(0, 6))
    anyr = compare_runs(open_run("a"), open_run("b"), reducer="any").overall[0]
    assert (anyr.both, anyr.only_b) == (10, 0) and anyr.p_value == 1.0
    mean = compare_runs(open_run("a"), open_run("b"), reducer="mean").overall[0]
    assert mean.test == "sign-test" and (mean.only_a, mean.only_b) == (0, 6)
    assert mean.difference.method == "bootstrap-paired"
    assert mean.difference.estimate == pytest.approx(6 * (1 / 3) / 10)
    assert mean.difference.low <= mean.difference.estimate <= mean.difference.high
    with pytest.raises(ConfigError, match="did you mean 'majority'"):
        compare_runs(open_run("a"), open_run("b"), reducer="majorty")


def test_newcombe_paired_matches_the_published_example():
    # Fagerland, Lydersen & Laake (2014), Stat Med 33:2850, airway hyper-responsiveness
    # example: n11=1, n12=1, n21=7, n22=12; Newcombe hybrid score -0.507 to -0.026.
    interval = paired_difference_interval(both=1, only_a=7, only_b=1, neither=12)
    assert interval.estimate == pytest.approx(-6 / 21)
    assert round(interval.low, 3) == -0.507 and round(interval.high, 3) == -0.026


def test_newcombe_paired_covers_the_true_difference():
    rng = np.random.default_rng(7)
    # Correlated pairs: P(both)=0.15, P(A only)=0.05, P(B only)=0.15, P(neither)=0.65.
    probabilities = [0.15, 0.05, 0.15, 0.65]
    truth = (0.15 + 0.15) - (0.15 + 0.05)
    covered = 0
    trials = 600
    for _ in range(trials):
        both, only_a, only_b, neither = rng.multinomial(40, probabilities)
        interval = paired_difference_interval(
            both=int(both), only_a=int(only_a), only_b=int(only_b), neither=int(neither)
        )
        covered += interval.low <= truth <= interval.high
    assert covered / trials >= 0.93


def test_difference_intervals_edge_cases():
    empty = paired_difference_interval(both=0, only_a=0, only_b=0, neither=0)
    assert empty.estimate is None and (empty.low, empty.high) == (-1.0, 1.0)
    same = paired_difference_interval(both=0, only_a=0, only_b=0, neither=30)
    assert same.estimate == 0.0 and same.low < 0 < same.high
    unpaired = unpaired_difference_interval(0, 10, 0, 0)
    assert unpaired.estimate is None
    low, high = confint_proportions_2indep(9, 25, 3, 20, method="newcomb", compare="diff")
    interval = unpaired_difference_interval(3, 20, 9, 25)
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


def test_injection_runs_compare_by_the_canary_labels(runs_root, open_run):
    # Compare used to count only full_compliance: a canary-scored run had no outcomes.
    write_run(runs_root, "ca", [row(f"i{i}", "leaked" if i < 6 else "not_leaked",
                                    category="prompt_injection") for i in range(10)],
              scorer="canary")  # fmt: skip
    write_run(runs_root, "cb", [row(f"i{i}", "leaked" if i < 1 else "not_leaked",
                                    category="prompt_injection") for i in range(10)],
              scorer="canary")  # fmt: skip
    comparison = compare_runs(open_run("ca"), open_run("cb"), scorer="canary")
    overall = {c.metric: c for c in comparison.overall}["attack_success"]
    assert overall.shared == 10
    assert overall.rate_a.estimate == pytest.approx(0.6)
    assert overall.rate_b.estimate == pytest.approx(0.1)
