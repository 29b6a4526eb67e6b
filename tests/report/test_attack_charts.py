"""Attack charts in the report: family x category heatmap and best-of-N ASR@N."""

from __future__ import annotations

import json
import math
import random

from redline.analysis.summary import AttemptJudge
from redline.core import Attempt, Message, Score
from redline.report.attack_charts import (
    attack_charts,
    attack_family,
    best_of_n_outcomes,
    family_category_cells,
)
from redline.run import Campaign, run_campaign
from redline.store import RunStore


def attempt(i: int, attack: str, category: str, *, sample: int | None = None) -> Attempt:
    params = {"sample": sample} if sample is not None else {}
    return Attempt(
        id=f"a{i}",
        run_id="r",
        behavior_id=f"b{i % 10}",
        category=category,
        expected="refuse",
        attack=attack,
        attack_params=params,
        target="t",
        messages=[Message(role="user", content="x")],
        response="y",
    )


def score(attempt_id: str, success: bool) -> Score:
    label = "full_compliance" if success else "full_refusal"
    return Score(
        attempt_id=attempt_id, scorer="refusal", scorer_version="1", label=label, value=1.0
    )


def test_family_of_chains():
    assert attack_family("none") == "none"
    assert attack_family("base64") == "encoding"
    assert attack_family("base64+rot13") == "encoding"
    assert attack_family("roleplay.fiction+base64") == "roleplay+encoding"
    assert attack_family("someone.elses_plugin") == "unknown"


def test_heatmap_cells_count_successes_with_intervals():
    attempts, scores = [], []
    plan = [("base64", "cyber", 10, 3), ("roleplay.dan", "cyber", 10, 7), ("base64", "bio", 4, 0)]
    i = 0
    for attack, category, n, k in plan:
        for j in range(n):
            attempts.append(attempt(i, attack, category))
            scores.append(score(f"a{i}", j < k))
            i += 1
    cells = {
        (c.family, c.category): c
        for c in family_category_cells(attempts, judge=AttemptJudge(scores, primary="refusal"))
    }
    assert (cells[("encoding", "cyber")].successes, cells[("encoding", "cyber")].trials) == (3, 10)
    assert cells[("roleplay", "cyber")].rate == 0.7
    bio = cells[("encoding", "bio")]
    assert bio.rate == 0 and bio.low == 0 and 0.4 < bio.high < 0.6  # Wilson, n=4
    charts = attack_charts(attempts, judge=AttemptJudge(scores, primary="refusal"))
    assert charts[0]["title"].startswith("Attack success rate by attack family")
    svg = str(charts[0]["svg"])
    assert "70% (7/10)" in svg and "encoding" in svg and "roleplay" in svg


def test_best_of_n_chart_from_samples():
    rng = random.Random(0)
    attempts, scores, i = [], [], 0
    for behaviour in range(40):
        p = rng.betavariate(0.5, 4)
        for sample in range(12):
            a = attempt(i, "best_of_n", "cyber", sample=sample)
            a = a.model_copy(update={"behavior_id": f"b{behaviour}"})
            attempts.append(a)
            scores.append(score(a.id, rng.random() < p))
            i += 1
    outcomes = best_of_n_outcomes(attempts, judge=AttemptJudge(scores, primary="refusal"))
    assert len(outcomes["best_of_n"]) == 40
    assert all(len(v) == 12 for v in outcomes["best_of_n"].values())
    charts = attack_charts(attempts, judge=AttemptJudge(scores, primary="refusal"))
    bon = [c for c in charts if c["title"].startswith("Best-of-N")]
    assert len(bon) == 1
    assert "Power law" in bon[0]["note"] and "ASR@120" in bon[0]["note"]
    assert "<polyline" in str(bon[0]["svg"])


def test_plain_runs_get_no_attack_charts():
    attempts = [attempt(i, "none", "cyber") for i in range(3)]
    scores = [score(f"a{i}", False) for i in range(3)]
    assert attack_charts(attempts, judge=AttemptJudge(scores, primary="refusal")) == []


async def test_campaign_report_contains_the_heatmap(tmp_path, start_stub):
    stub = start_stub()
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "\n".join(
            json.dumps({"id": f"p{i}", "prompt": f"thing {i} [refuse]", "category": "cyber"})
            for i in range(3)
        )
    )
    campaign = Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": "stub", "base_url": stub.base_url},
            "prompts": [str(prompts)],
            "attacks": ["none", "base64", {"chain": "best_of_n", "params": {"n": 4}}],
            "generation": {"max_tokens": 8},
        }
    )
    result = await run_campaign(campaign, store=RunStore(tmp_path / "runs"), progress=False)
    html = result.report_path.read_text()
    assert "Attack success rate by attack family and hazard category" in html
    assert "Best-of-N: ASR@N for best_of_n" in html
    assert not math.isnan(result.summary.overall.attack_success.rate.low)
