"""A finished run is summarised from the run files streamed (one attempt held at a
time); the figures must equal the summary computed from lists read whole."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.analysis import summarize_run
from redline.cli.app import app
from redline.store import RunStore, StoredRecords

runner = CliRunner()


def _scan(tmp_path: Path, base_url: str, prompts: Path) -> str:
    args = [
        "scan", "--target", "openai", "--model", "stub", "--base-url", base_url,
        "--runs-dir", str(tmp_path / "runs"), "--no-progress", "--no-cache",
        "--prompts", str(prompts), "--max-retries", "0", "--json",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 3), result.output
    return str(json.loads(result.output.strip().splitlines()[-1])["run_id"])


def test_streamed_summary_equals_the_summary_from_lists(tmp_path: Path, start_stub) -> None:
    # HTTP 500s without retries leave errored attempts; the second scan resumes the
    # run and re-sends them, so attempts.jsonl holds several lines for some ids.
    stub = start_stub(fail_rate=0.3)
    prompts = tmp_path / "prompts.jsonl"
    with prompts.open("w", encoding="utf-8") as handle:
        for index in range(60):
            marker = " [refuse]" if index % 3 == 0 else ""
            handle.write(json.dumps({"id": f"p{index}", "prompt": f"ask {index}{marker}"}) + "\n")
    run_id = _scan(tmp_path, stub.base_url, prompts)
    assert _scan(tmp_path, stub.base_url, prompts) == run_id
    handle = RunStore(tmp_path / "runs").open(run_id)
    lines = handle.attempts_path.read_text(encoding="utf-8").splitlines()
    attempts, scores = handle.read_attempts(), handle.read_scores()
    assert len(lines) > len(attempts) == 60  # some ids were recorded twice
    assert any(a.error is not None for a in attempts) or len(lines) > 60

    streamed_attempts, streamed_scores = handle.stored_attempts(), handle.stored_scores()
    assert isinstance(streamed_attempts, StoredRecords)
    assert list(streamed_attempts) == attempts  # same records, same order, last line wins
    assert list(streamed_scores) == scores
    assert len(streamed_attempts) == len(attempts) and len(streamed_scores) == len(scores)

    from_lists = summarize_run(handle.info, attempts, scores)
    streamed = summarize_run(handle.info, streamed_attempts, streamed_scores)
    assert streamed == from_lists
    assert streamed.overall.attempts == 60
    # The report written at the end of the scan shows every attempt of a small run.
    html = (handle.path / "report.html").read_text(encoding="utf-8")
    assert 'id="transcripts-bound"' not in html
    # The counts in run.json come from the files' indexes, not a second read; they
    # equal what reading the files whole gives.
    counts = handle.info.counts
    assert counts == handle.record_counts()
    assert streamed_attempts.flagged == sum(a.error is not None for a in attempts)


def test_the_finish_holds_each_score_once(tmp_path: Path, start_stub) -> None:
    from redline.analysis import ScoreIndex
    from redline.analysis.summary import AttemptJudge
    from redline.engine import EngineStats
    from redline.run import finish_run

    stub = start_stub()
    prompts = tmp_path / "prompts.jsonl"
    rows = [json.dumps({"id": f"p{i}", "prompt": f"ask {i} [refuse]"}) for i in range(8)]
    prompts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run_id = _scan(tmp_path, stub.base_url, prompts)
    handle = RunStore(tmp_path / "runs").open(run_id)
    finished = finish_run(handle, EngineStats(), report_path=tmp_path / "again.html")
    # One index of the scores: what the summary used is what the report's judge reads.
    assert isinstance(finished.scores, ScoreIndex)
    assert sorted((s.attempt_id, s.scorer) for s in finished.scores) == sorted(
        (s.attempt_id, s.scorer) for s in handle.read_scores()
    )
    assert AttemptJudge(finished.scores, primary="refusal").scores is finished.scores
    assert finished.counts == {"attempts": 8, "errors": 0, "scores": 16}
