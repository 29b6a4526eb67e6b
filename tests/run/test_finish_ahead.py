"""A scan finishes from what it made while sending (redline.run.finish_ahead): the line
indexes, the summary's pass and the report's transcripts. What it gives must be exactly
what reading the run files gives, and anything it cannot vouch for sends the finish
back to the files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import redline.run.finish_ahead as finish_ahead
from redline.core import Attempt, AttemptError, RunInfo, Score
from redline.engine import EngineStats
from redline.run import finish_run
from redline.run.finish_ahead import FinishAhead
from redline.store import RunHandle, RunStore


@pytest.fixture
def takes(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Each FinishAhead.take() of the test: None where it gave its parts, else why not."""
    seen: list[str | None] = []
    original = FinishAhead.take

    def take(self: FinishAhead) -> Any:
        parts = original(self)
        seen.append(None if parts is not None else str(self.unusable))
        return parts

    monkeypatch.setattr(finish_ahead.FinishAhead, "take", take)
    return seen


def _refinished_from_files(run_dir: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """The report and summary a finish reading the files gives, for a copy of the run with
    the same engine stats (its run.json as it was before the scan's finish)."""
    copy = tmp_path / "copy" / run_dir.name
    shutil.copytree(run_dir, copy)
    handle = RunStore(copy.parent).open(run_dir.name)
    engine = dict(handle.info.engine_stats)
    *earlier, last = engine["sessions"]
    handle.update(engine_stats={**engine, "sessions": earlier})
    finished = finish_run(
        handle,
        EngineStats.model_validate(last),
        report_path=copy / "from-files.html",
        max_transcripts=json.loads((copy / "run.json").read_text())["config"]["max_transcripts"],
    )
    return (copy / "from-files.html").read_text(encoding="utf-8"), finished.summary.model_dump()


@pytest.mark.parametrize("limit", [None, 7, 135])
def test_a_scan_finishes_as_reading_its_files_would(
    tmp_path: Path, start_stub, varied_scan, takes, limit: int | None
) -> None:
    stub = start_stub(fail_rate=0.2)
    extra = () if limit is None else ("--max-transcripts", str(limit))
    run_id = varied_scan(tmp_path, stub.base_url, *extra)
    assert takes == [None]  # the scan's finish used what it made while sending
    run_dir = tmp_path / "runs" / run_id
    handle = RunStore(run_dir.parent).open(run_id)
    attempts = handle.stored_attempts()
    # What the comparison needs: errors (no scores), more attempts than the sample.
    assert len(attempts) == 135 and attempts.flagged > 0
    report, summary = _refinished_from_files(run_dir, tmp_path)
    assert takes == [None]  # the copy was finished from its files, not followed
    assert (run_dir / "report.html").read_text(encoding="utf-8") == report
    assert json.loads((run_dir / "run.json").read_text())["counts"] == {
        "attempts": 135,
        "errors": attempts.flagged,
        "scores": 2 * (135 - attempts.flagged),
    }
    assert summary["overall"]["errors"] == attempts.flagged


def _attempt(index: int, *, error: bool = False) -> Attempt:
    return Attempt(
        id=f"a{index}",
        run_id="r",
        behavior_id=f"b{index % 4}",
        category="cybercrime",
        expected="refuse",
        messages=[{"role": "user", "content": f"ask {index}"}],
        target="t",
        response=None if error else f"answer {index}",
        error=AttemptError(kind="transient", message="500") if error else None,
    )


def _score(attempt_id: str, scorer: str, label: str) -> Score:
    return Score(
        attempt_id=attempt_id,
        scorer=scorer,
        scorer_version="1",
        label=label,
        value=0.5,
        created_at="2026-01-01T00:00:00Z",
    )


def _followed(tmp_path: Path, **options: Any) -> tuple[RunHandle, FinishAhead]:
    store = RunStore(tmp_path / "runs")
    info = RunInfo(id="run-1", config={"scorers": ["refusal", "harm"]})
    handle = store.create(info)
    options = {"headline_scorer": None, "max_transcripts": 10, **options}
    return handle, FinishAhead(handle, scorers=["refusal", "harm"], **options)


def _write(handle: RunHandle, attempts: list[Attempt]) -> None:
    for attempt in attempts:
        handle.append_attempt(attempt)
    for attempt in attempts:
        if attempt.error is None:
            handle.append_score(_score(attempt.id, "refusal", "full_compliance"))
            handle.append_score(_score(attempt.id, "harm", "harmful"))


def test_a_followed_run_gives_its_parts_and_counts_in_order(tmp_path: Path) -> None:
    handle, ahead = _followed(tmp_path)
    attempts = [_attempt(i, error=i % 5 == 0) for i in range(12)]
    _write(handle, attempts)
    parts = ahead.take()
    assert parts is not None and ahead.unusable is None
    assert [a.id for a in parts.attempts] == [a.id for a in attempts]
    assert parts.attempts.flagged == 3 and len(parts.scores) == 18
    assert parts.sampler is not None and parts.collected is None  # 12 > 10: sampled
    assert parts.index.label("harm", "a1") == "harmful"
    summary = parts.summary(handle)
    assert summary.overall.attempts == 12 and summary.overall.errors == 3


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        ("foreign line", "lines this handle did not write"),
        ("attempt twice", "written twice"),
        ("late score", "came late"),
        ("too many waiting", "waited for their scores"),
    ],
)
def test_what_it_cannot_vouch_for_sends_the_finish_to_the_files(
    tmp_path: Path, spoil: str, why: str
) -> None:
    handle, ahead = _followed(tmp_path, pending_limit=5)
    attempts = [_attempt(i) for i in range(4)]
    _write(handle, attempts)
    if spoil == "foreign line":
        handle.flush()
        with handle.attempts_path.open("a", encoding="utf-8") as f:
            f.write(_attempt(9).model_dump_json() + "\n")
    elif spoil == "attempt twice":
        handle.append_attempt(attempts[0])
    elif spoil == "late score":
        handle.append_score(_score("a1", "refusal", "full_refusal"))
    else:
        for index in range(10, 16):  # never scored: they wait
            handle.append_attempt(_attempt(index))
    assert ahead.take() is None
    assert ahead.unusable is not None and why in ahead.unusable
    # The finish reads the files then, and still counts every attempt.
    finished = finish_run(handle, EngineStats(), report_path=tmp_path / "r.html", ahead=ahead)
    assert finished.counts["attempts"] == len(list(handle.stored_attempts()))


def test_a_run_with_records_already_is_not_followed(tmp_path: Path) -> None:
    handle, first = _followed(tmp_path)
    _write(handle, [_attempt(0)])
    assert first.take() is not None
    resumed = FinishAhead(
        handle, scorers=["refusal", "harm"], headline_scorer=None, max_transcripts=10
    )
    assert resumed.unusable == "the run had records before this session"
    assert resumed.take() is None


def test_attempts_still_waiting_at_the_end_are_counted_unscored(tmp_path: Path) -> None:
    handle, ahead = _followed(tmp_path)
    handle.append_attempt(_attempt(0))
    handle.append_attempt(_attempt(1))
    handle.append_score(_score("a1", "refusal", "full_refusal"))  # a0 never scored
    parts = ahead.take()
    assert parts is not None
    summary = parts.summary(handle)
    assert summary.overall.unscored == 1 and summary.overall.full_refusals == 1
