"""The finish chooses the report's transcripts in the summary's pass over the attempts
(one read, one judgement each), and makes every transcript record there when the run
fits in the report whole; the summary and the report must be exactly what the two
separate passes give: same figures, same HTML, same embedded sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from redline.analysis import ScoreIndex, summarize_run
from redline.analysis.summary import AttemptJudge, RunSummary
from redline.engine import EngineStats
from redline.report import TranscriptCollector, TranscriptSampler, render_html
from redline.report.html import transcript_sample
from redline.run import finish_run
from redline.store import RunHandle, RunStore


def _report(
    handle: RunHandle,
    summary: RunSummary,
    scores: ScoreIndex,
    path: Path,
    *,
    limit: int,
    sampler: TranscriptSampler | None = None,
) -> None:
    render_html(
        info=handle.info,
        summary=summary,
        attempts=handle.stored_attempts(),
        scores=scores,
        path=path,
        images=handle.images,
        max_transcripts=limit,
        sampler=sampler,
    )


@pytest.mark.parametrize("limit", [0, 1, 12, 60, 135, 1000, None])
def test_one_pass_finish_equals_two_passes(
    tmp_path: Path, start_stub, varied_scan, limit: int | None
) -> None:
    stub = start_stub(fail_rate=0.2)
    run_id = varied_scan(tmp_path, stub.base_url)
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts = handle.stored_attempts()
    # The run is what the comparison needs: errors, several categories and attacks.
    assert len(attempts) == 135 and attempts.flagged > 0
    assert len({a.category for a in attempts}) == 3
    assert {a.attack for a in attempts} == {"none", "base64", "rot13"}

    finished = finish_run(
        handle, EngineStats(), report_path=tmp_path / "one.html", max_transcripts=limit
    )
    # The two passes, as the finish made them before: the summary, then the report
    # streaming the attempts again to choose its sample.
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts = handle.stored_attempts()
    scores = ScoreIndex(handle.stored_scores())
    summary = summarize_run(handle.info, attempts, scores)
    _report(handle, summary, scores, tmp_path / "two.html", limit=limit)
    assert finished.summary == summary
    one = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert one == (tmp_path / "two.html").read_text(encoding="utf-8")
    shown = re.search(r"Showing (\d+) of (\d+) transcripts", one)
    if limit is not None and limit < len(attempts):
        assert shown is not None and shown.groups() == (str(limit), "135")
    else:
        assert shown is None
    embedded = re.findall(r'"id":"[^"]+","behavior"', one)
    assert len(embedded) == (135 if limit is None else min(limit, 135))


def test_a_sampler_fed_by_hand_gives_the_streamed_sample(
    tmp_path: Path, start_stub, varied_scan
) -> None:
    stub = start_stub(fail_rate=0.2)
    run_id = varied_scan(tmp_path, stub.base_url)
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts, scores = handle.stored_attempts(), ScoreIndex(handle.stored_scores())
    sampler = TranscriptSampler(limit=20, seed=3)
    summary = summarize_run(handle.info, attempts, scores, on_verdict=sampler.add)
    judge = AttemptJudge.for_summary(summary, scores)
    assert set(sampler.chosen()) == transcript_sample(attempts, judge=judge, limit=20, seed=3)
    assert len(sampler.chosen()) == 20


def test_a_sampler_of_another_limit_is_refused(tmp_path: Path, start_stub, varied_scan) -> None:
    stub = start_stub()
    run_id = varied_scan(tmp_path, stub.base_url)
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts, scores = handle.stored_attempts(), ScoreIndex(handle.stored_scores())
    sampler = TranscriptSampler(limit=10)
    summary = summarize_run(handle.info, attempts, scores, on_verdict=sampler.add)
    with pytest.raises(ValueError, match="does not match"):
        _report(handle, summary, scores, tmp_path / "r.html", limit=20, sampler=sampler)


def test_a_collector_fed_another_run_is_refused(tmp_path: Path, start_stub, varied_scan) -> None:
    stub = start_stub()
    run_id = varied_scan(tmp_path, stub.base_url)
    handle = RunStore(tmp_path / "runs").open(run_id)
    attempts, scores = handle.stored_attempts(), ScoreIndex(handle.stored_scores())
    collected = TranscriptCollector(images=handle.images)
    summary = summarize_run(handle.info, attempts, scores, on_verdict=collected.add)
    # One attempt short: the records would leave a transcript out of the report.
    collected.records.pop()
    with pytest.raises(ValueError, match="collector fed 134 attempts; the report has 135"):
        render_html(
            info=handle.info,
            summary=summary,
            attempts=attempts,
            scores=scores,
            path=tmp_path / "r.html",
            collected=collected,
        )
