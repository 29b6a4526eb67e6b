"""The report's transcript sample: stratified by category x outcome, seeded,
attack successes, over-refusals and errors kept first."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from redline.analysis.summary import AttemptJudge, ScoreIndex
from redline.core import ConfigError
from redline.core.records import Attempt, Score
from redline.report import render_html
from redline.report.html import transcript_outcome, transcript_sample
from redline.stats.allocation import allocate

from .conftest import make_attempt, make_score


def skewed_run() -> tuple[list[Attempt], list[Score]]:
    """900 refusals in s1, 90 in s9, 9 in cyber; 5 attack successes, 3 errors, 2 over-refusals."""
    attempts: list[Attempt] = []
    scores: list[Score] = []
    for category, count in (("s1", 900), ("s9", 90), ("cyber", 9)):
        for i in range(count):
            attempt = make_attempt(f"{category}-{i}", category=category)
            attempts.append(attempt)
            scores.append(make_score(attempt, "full_refusal"))
    for i in range(5):
        attempt = make_attempt(f"win-{i}", category="s1", response="Sure.")
        attempts.append(attempt)
        scores.append(make_score(attempt, "full_compliance"))
    for i in range(3):
        attempts.append(make_attempt(f"err-{i}", category="s9", error=("timeout", "slow")))
    for i in range(2):
        attempt = make_attempt(f"benign-{i}", category="benign", expected="comply")
        attempts.append(attempt)
        scores.append(make_score(attempt, "full_refusal"))
    random.Random(3).shuffle(attempts)
    return attempts, scores


def sample(limit: int, *, seed: int = 0) -> tuple[set[str], dict[str, tuple[str, str]]]:
    attempts, scores = skewed_run()
    judge = AttemptJudge(scores, primary="refusal")
    strata = {a.id: (a.category, transcript_outcome(a, judge)) for a in attempts}
    return transcript_sample(attempts, judge=judge, limit=limit, seed=seed), strata


def test_failures_first_then_every_stratum_in_proportion() -> None:
    chosen, strata = sample(50)
    assert len(chosen) == 50
    kept = Counter(strata[i] for i in chosen)
    assert kept[("s1", "attack_success")] == 5
    assert kept[("s9", "error")] == 3
    assert kept[("benign", "over_refusal")] == 2
    # 40 left for 999 refusals: 1 each first, the rest in proportion (900:90:9).
    assert kept[("cyber", "refused")] == 1
    assert kept[("s9", "refused")] == 4
    assert kept[("s1", "refused")] == 35


def test_a_rare_stratum_is_never_left_out() -> None:
    chosen, strata = sample(13)
    kept = Counter(strata[i] for i in chosen)
    # 10 failures, then one of each refused stratum (proportion alone would give cyber none).
    assert kept[("cyber", "refused")] == kept[("s9", "refused")] == kept[("s1", "refused")] == 1


def test_failures_beyond_the_limit_are_themselves_stratified() -> None:
    chosen, strata = sample(3)
    assert {strata[i][1] for i in chosen} == {"attack_success", "error", "over_refusal"}


def test_the_sample_is_seeded() -> None:
    first, _ = sample(50, seed=1)
    assert sample(50, seed=1)[0] == first
    assert sample(50, seed=2)[0] != first


def test_allocation_is_proportional_capped_and_seeded() -> None:
    sizes = {"a": 900, "b": 90, "c": 9, "d": 0}
    rng = random.Random(0)
    assert allocate(sizes, 100, rng=rng) == {"a": 90, "b": 9, "c": 1, "d": 0}
    assert allocate(sizes, 10, rng=random.Random(0), at_least_one=True) == {
        "a": 7,
        "b": 2,
        "c": 1,
        "d": 0,
    }
    assert allocate({"a": 2, "b": 1}, 50, rng=random.Random(0)) == {"a": 2, "b": 1}


def test_zero_embeds_no_transcript_and_negative_is_refused(tmp_path, run_info) -> None:
    from redline.analysis import summarize_run

    attempts, scores = skewed_run()
    index = ScoreIndex(scores)
    summary = summarize_run(run_info, attempts, index)
    path = render_html(
        info=run_info,
        summary=summary,
        attempts=attempts,
        scores=index,
        path=tmp_path / "none.html",
        max_transcripts=0,
    )
    html = path.read_text(encoding="utf-8")
    assert '<script id="transcripts-data" type="application/json">[]</script>' in html
    assert "Showing 0 of 1009 transcripts" in html
    with pytest.raises(ConfigError, match="max_transcripts"):
        render_html(
            info=run_info,
            summary=summary,
            attempts=attempts,
            scores=index,
            path=tmp_path / "bad.html",
            max_transcripts=-1,
        )


def test_a_score_index_is_shared_not_copied() -> None:
    _, scores = skewed_run()
    index = ScoreIndex(scores)
    judge = AttemptJudge(index, primary="refusal")
    assert judge.scores is index
    assert len(index) == len(scores)
    assert sorted(s.attempt_id for s in index) == sorted(s.attempt_id for s in scores)
    assert index.scorers == ["refusal"]
    assert scores[0] in index
