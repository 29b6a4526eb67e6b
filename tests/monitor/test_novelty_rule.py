"""The novelty_shift alert rule: a window's kNN novelty against a lagged reference."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from redline.core import ConfigError
from redline.monitor import (
    AlertRule,
    AlertRules,
    IngestSettings,
    MonitorStore,
    NgramEmbedder,
    RecordScorer,
    evaluate_rules,
    ingest_file,
    load_rules,
)
from redline.monitor.alerts import NoveltyShift, evaluate_rule
from redline.monitor.novelty import novelty_shift
from redline.monitor.simulation import StreamPlan, public_stream_texts, simulated_stream

START = datetime(2026, 1, 1)
BURST_AT = timedelta(hours=8)


def _cloud(rng, count, *, first_half=True):
    """Vectors spread mostly over the first (or the second) half of 32 dimensions."""
    scale = np.r_[np.full(16, 1.0), np.full(16, 0.1)]
    return rng.normal(size=(count, 32)) * (scale if first_half else scale[::-1])


@pytest.mark.parametrize("test", ["exceedance", "mann_whitney"])
def test_a_window_from_the_reference_distribution_is_not_a_shift(test):
    rng = np.random.default_rng(0)
    reference = _cloud(rng, 600)
    same = _cloud(rng, 60)
    found = novelty_shift(reference, same, test=test)
    assert found.p_value > 0.01
    assert (found.window_records, found.reference_records) == (60, 600)


@pytest.mark.parametrize("test", ["exceedance", "mann_whitney"])
def test_a_window_with_a_group_from_elsewhere_is_a_shift(test):
    rng = np.random.default_rng(1)
    reference = _cloud(rng, 600)
    window = np.concatenate([_cloud(rng, 45), _cloud(rng, 15, first_half=False)])
    found = novelty_shift(reference, window, test=test, quantile=0.9)
    assert found.p_value < 0.001
    assert found.novel > found.expected


def test_novelty_shift_rejects_an_unknown_test_and_an_empty_window():
    reference = np.random.default_rng(0).normal(size=(50, 8))
    with pytest.raises(ValueError, match="test 'ks': expected one of exceedance, mann_whitney"):
        novelty_shift(reference, reference, test="ks")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no records"):
        novelty_shift(reference, reference[:0])


def _stream_store(root, records) -> MonitorStore:
    log = root / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    store = MonitorStore(root / "m.duckdb")
    scorer = RecordScorer(refusal="patterns", scoring="screen", audit_rate=0.0)
    ingest_file(log, store, IngestSettings(scorer=scorer, embedder=NgramEmbedder()))
    return store


NOVELTY_RULES = AlertRules(
    window="15m",
    rules=[
        AlertRule(
            name="novel-traffic",
            novelty_shift=NoveltyShift(reference="6h", gap="1h", quantile=0.9, p_value=0.001),
            min_count=15,
        )
    ],
)


@pytest.fixture
def stream_plan(shared_data):
    texts = public_stream_texts(shared_data)
    plan = StreamPlan(
        start=START, duration=timedelta(hours=10), per_minute=2, burst_start=BURST_AT,
        burst_share=0.25, seed=0,
    )  # fmt: skip
    return texts, plan


def test_the_rule_fires_on_an_injected_burst_of_real_attacks(stream_plan, tmp_path):
    texts, plan = stream_plan
    records = simulated_stream(texts.benign, texts.attacks, plan)
    assert sum(r["burst"] for r in records) > 20  # jailbreak / injection prompts
    with _stream_store(tmp_path, records) as store:
        alerts = evaluate_rules(store.con, NOVELTY_RULES)
    assert alerts, "the novelty_shift rule missed the burst"
    burst_start = START + BURST_AT
    assert all(burst_start <= a.window_start < burst_start + timedelta(hours=1) for a in alerts)
    first = alerts[0]
    assert first.metric == "novelty" and first.p_value < 0.001
    assert first.count > 0.1 * first.total  # more above the 90th percentile than chance
    assert "above the reference's 90% novelty quantile" in first.message


def test_the_rule_stays_quiet_on_a_burst_free_stream(stream_plan, tmp_path):
    texts, plan = stream_plan
    clean = simulated_stream(
        texts.benign, texts.attacks, dataclasses.replace(plan, burst_start=None, seed=1000)
    )
    with _stream_store(tmp_path, clean) as store:
        assert evaluate_rules(store.con, NOVELTY_RULES) == []
        # Not vacuous: the rule had windows with a reference to judge.
        shift = NOVELTY_RULES.rules[0].novelty_shift
        _, reference = store.embeddings_between(START + timedelta(hours=2), START + BURST_AT)
        assert shift is not None and len(reference) >= shift.min_reference


def test_a_novelty_rule_is_not_evaluated_on_window_counts():
    with pytest.raises(ValueError, match="needs the store"):
        evaluate_rule(NOVELTY_RULES.rules[0], [])


@pytest.mark.parametrize(
    ("rule", "where", "message"),
    [
        ("{name: n, novelty_shift: {p_value: 2}}", "rules.0.novelty_shift.p_value", "less than 1"),
        ("{name: n, novelty_shift: {p_value: 0}}", "rules.0.novelty_shift.p_value", "greater"),
        ("{name: n, novelty_shift: {test: ks}}", "rules.0.novelty_shift.test", "exceedance"),
        ("{name: n, novelty_shift: {gap: soon}}", "rules.0.novelty_shift.gap", "duration"),
        ("{name: n, novelty_shift: {quantile: 1.5}}", "rules.0.novelty_shift.quantile", "less"),
        ("{name: n, novelty_shift: {window: 1h}}", "rules.0.novelty_shift.window", "unknown field"),
        ("{name: n, novelty_shift: {}, metric: flag_rate}", "rules.0", "give it no metric"),
        ("{name: n, min_count: 5}", "rules.0", "one of threshold, rate_change or novelty_shift"),
        ("{name: n, threshold: 0.1}", "rules.0", "metric: a threshold or rate_change rule"),
        ("{novelty_shift: {}}", "rules.0.name", "Field required"),
    ],
)
def test_bad_novelty_rules_name_the_file_line_and_field(tmp_path, rule, where, message):
    path = tmp_path / "rules.yaml"
    path.write_text(f"window: 15m\nrules:\n  - {rule}\n")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:3: {where}"), text
    assert message in text, text


def test_a_good_novelty_rules_file_loads_with_the_defaults(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: novel\n    novelty_shift: {test: mann_whitney}\n")
    (rule,) = load_rules(path).rules
    assert rule.metric is None and rule.metric_name == "novelty"
    assert rule.novelty_shift == NoveltyShift(test="mann_whitney")
    assert (rule.novelty_shift.reference, rule.novelty_shift.gap) == ("6h", "1h")
