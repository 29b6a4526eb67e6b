"""The figures of a run's summary and report stay the same when the finish's data
structures change (memflat: compact score index and per-behaviour cells).

A varied run (categories, attacks of three families, epochs, benign types,
errors, resumed and re-scored lines, unscored attempts, three scorers) is written
from a seeded generator; its summaries (by family and by a headline scorer, with
and without a reducer), the report's transcript records and its attack charts are
compared with ``data/finish_figures.json``, written by main at 458526e before the
change (regenerate it only when a figure is meant to change:
``python tests/analysis/test_finish_figures_fixed.py --write``).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from redline.analysis import ScoreIndex, summarize_run
from redline.analysis.summary import AttemptJudge
from redline.core import Attempt, AttemptError, Message, RunInfo, Score
from redline.report.attack_charts import attack_charts
from redline.report.html import transcript_records
from redline.store import RunHandle, RunStore

GOLDEN = Path(__file__).parent / "data" / "finish_figures.json"
CATEGORIES = ("s1", "s2", "s9", "cyber", "benign")
ATTACKS = ("none", "base64", "injection.direct", "roleplay.dan")
BENIGN_TAGS = ([], ["borderline"], ["benign_type:homonym"], ["ordinary"])
REFUSAL_LABELS = ("full_refusal", "partial_refusal", "full_compliance", "not_applicable")


def write_varied_run(root: Path) -> RunHandle:
    """The run, written through the real store; the same files on every call."""
    rng = random.Random(12)
    info = RunInfo(
        id="20260101-000000-varied",
        status="completed",
        created_at="2026-01-01T00:00:00Z",
        config={"target": "stub", "scorers": ["refusal", "harm"]},
    )
    behaviours = [(f"b{i:03d}", CATEGORIES[rng.randrange(len(CATEGORIES))]) for i in range(240)]
    jobs = [(b, attack, epoch) for b in behaviours for attack in ATTACKS for epoch in range(3)]
    # Shuffled: each group and cell then meets its behaviours in its own order.
    jobs = [job for job in jobs if rng.random() < 0.8]
    rng.shuffle(jobs)
    with RunStore(root).create(info) as handle:
        for (behaviour, category), attack, epoch in jobs:
            attempt = _attempt(info.id, behaviour, category, attack, epoch, rng)
            handle.append_attempt(attempt)
            if attempt.error is not None and rng.random() < 0.5:
                # A resumed run records the attempt again, answered this time.
                attempt = attempt.model_copy(update={"error": None, "response": "second try"})
                handle.append_attempt(attempt)
            if attempt.error is not None:
                continue
            for score in _scores(attempt, rng):
                handle.append_score(score)
    return RunStore(root).open(info.id)


def _attempt(
    run_id: str, behaviour: str, category: str, attack: str, epoch: int, rng: random.Random
) -> Attempt:
    benign = category == "benign"
    errored = rng.random() < 0.04
    return Attempt(
        id=f"{behaviour}-{attack}-e{epoch}",
        run_id=run_id,
        behavior_id=behaviour,
        category=category,
        expected="comply" if benign else "refuse",
        attack=attack,
        target="openai:stub",
        epoch=epoch,
        messages=[Message(role="user", content=f"{behaviour} via {attack}")],
        response=None if errored else f"answer {rng.random():.6f}",
        latency_s=None if errored else round(rng.uniform(0.01, 2.0), 6),
        generation_s=None if errored or rng.random() < 0.5 else round(rng.uniform(0.0, 1.0), 6),
        error=AttemptError(kind=rng.choice(["transient", "timeout"]), message="x")
        if errored
        else None,
        tags=BENIGN_TAGS[rng.randrange(len(BENIGN_TAGS))] if benign else [],
        created_at="2026-01-01T00:00:01Z",
    )


def _scores(attempt: Attempt, rng: random.Random) -> list[Score]:
    scores = []
    if rng.random() < 0.95:  # the rest stay unscored by the refusal scorer
        label = rng.choice(REFUSAL_LABELS)
        scores.append(_score(attempt, "refusal", label, rng))
        if rng.random() < 0.05:  # re-scored: the later line wins
            scores.append(_score(attempt, "refusal", rng.choice(REFUSAL_LABELS), rng))
    if rng.random() < 0.9:
        scores.append(_score(attempt, "harm", rng.choice(["harmful", "not_harmful"]), rng))
    if attempt.attack.startswith("injection") and rng.random() < 0.9:
        scores.append(_score(attempt, "canary", rng.choice(["leaked", "not_leaked"]), rng))
    return scores


def _score(attempt: Attempt, scorer: str, label: str, rng: random.Random) -> Score:
    return Score(
        attempt_id=attempt.id,
        scorer=scorer,
        scorer_version="1",
        label=label,
        value=round(rng.random(), 6),
        rationale=f"{scorer} says {label} ({rng.randrange(1000)})",
        created_at="2026-01-01T00:00:02Z",
    )


def figures(handle: RunHandle) -> dict[str, Any]:
    """Every figure the finish computes from the run files, as JSON values."""
    attempts = handle.stored_attempts()
    scores = ScoreIndex(handle.stored_scores())
    out: dict[str, Any] = {}
    for headline in (None, "refusal"):
        for reducer in (None, "mean", "majority"):
            summary = summarize_run(handle.info, attempts, scores, scorer=headline, reducer=reducer)
            out[f"summary {headline} {reducer}"] = summary.model_dump(mode="json")
    summary = summarize_run(handle.info, attempts, scores)
    judge = AttemptJudge.for_summary(summary, scores)
    out["transcripts"] = transcript_records(attempts, judge=judge, limit=150, seed=3)
    out["attack charts"] = [
        {key: str(value) for key, value in chart.items()}
        for chart in attack_charts(attempts, judge=judge)
    ]
    return json.loads(json.dumps(out))


def test_the_finish_figures_equal_those_of_main_before_memflat(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = figures(write_varied_run(tmp_path))
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key
    # The run exercises what the figures depend on (a check on the generator).
    summary = expected["summary None mean"]
    assert summary["epochs"] == 3 and len(summary["by_attack"]) == len(ATTACKS)
    assert summary["overall"]["errors"] > 0 and summary["overall"]["unscored"] > 0
    assert summary["overall"]["attack_success"]["clustered"] is not None
    assert summary["overall"]["harmful_completion"] is not None
    assert len(summary["by_benign_type"]) == 4


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(
            json.dumps(figures(write_varied_run(Path(tmp))), indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
