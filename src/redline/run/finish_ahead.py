"""Finishing a scan while it sends: the summary's pass and the report's transcripts made
as each attempt's scores arrive, and the run files indexed as they are written.

A finish that starts after the last response reads both run files back, indexes
them, parses every attempt for the summary's pass and judges it: at 10,000
attempts about 0.3 s of a 0.4 s tail, with the event loop idle most of the run
before it. :class:`FinishAhead` listens to the run's handle
(:meth:`~redline.store.RunHandle.listen`) and does that work during the run: it
keeps each file's line index (the byte offset of each line) as lines are appended,
the score index's columns (:class:`~redline.analysis.ScoreColumns`), and feeds
the attempts to the summary's pass (:class:`~redline.analysis.SummaryPass`) in
the file's order, each once all its scores are in. The report's transcript
sample (or, for a run the report shows whole, every transcript record) is drawn
in the same pass.

It is a shortcut, never a second source of truth: :meth:`FinishAhead.take`
gives the made parts only when they are exactly what reading the files gives —
it saw every line of both files (their sizes match what it counted), no attempt
id or score key was written twice, no score came for an attempt already counted,
and the judge it decided with is the one the final scores give. Otherwise the
finish reads the files as before. A resumed run (files not empty when the scan
opened them) never uses it.

Nothing here imports the analysis before the first score is written: the scan's
scorers (and the analysis, imported with them in the background) are built by
then, so the main thread never imports while that thread does.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redline.core import Attempt, Score
from redline.run.background_scoring import WAITING_LIMIT
from redline.store import RunHandle, StoredRecords
from redline.store.stored_records import has_repeats

if TYPE_CHECKING:
    from redline.analysis.score_index import ScoreColumns, ScoreIndex
    from redline.analysis.summary import AttemptJudge, RunSummary, SummaryPass, Verdict
    from redline.report import TranscriptCollector, TranscriptSampler

# Attempts held while earlier ones wait for their scores: at most those waiting for
# the scorers to be built (WAITING_LIMIT), a batch filling and one being scored, and
# the requests in flight. Past this a scorer that skips attempts would make the
# queue grow with the run, so the finish reads the files instead.
PENDING_LIMIT = 4 * WAITING_LIMIT


@dataclass(slots=True)
class _Pending:
    """An attempt written and not yet counted: the scorers still to score it."""

    attempt: Attempt
    missing: int  # scores still to come
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class FinishParts:
    """What :class:`FinishAhead` made: the finish's inputs, as reading the files gives them."""

    attempts: StoredRecords[Attempt]
    scores: StoredRecords[Score]
    index: ScoreIndex
    summary_pass: SummaryPass
    sampler: TranscriptSampler | None
    collected: TranscriptCollector | None

    def summary(self, handle: RunHandle) -> RunSummary:
        """The run's summary (after the run's final status is written)."""
        return self.summary_pass.summary(handle.info, self.index)


class FinishAhead:
    """Follows a fresh run's records as they are written; see the module docstring.

    ``scorers``: the scorers that score every attempt with a response and no error
    (the campaign's: counted, as a built scorer may name itself otherwise);
    ``headline_scorer`` and ``max_transcripts``: the finish's.
    """

    def __init__(
        self,
        handle: RunHandle,
        *,
        scorers: Sequence[str],
        headline_scorer: str | None,
        max_transcripts: int | None,
        pending_limit: int = PENDING_LIMIT,
    ) -> None:
        self.handle = handle
        self.headline_scorer = headline_scorer
        self.max_transcripts = max_transcripts
        self.pending_limit = pending_limit
        self._expected = len(scorers)
        # Why the files must be read after all (None: not so far).
        self.unusable: str | None = None
        if handle.file_sizes() != (0, 0):
            self.unusable = "the run had records before this session"
        # Per line, its byte offset (line numbers are places + 1: one writer, no repeats).
        self._attempt_offsets, self._attempt_hashes = array("q"), array("q")
        self._attempt_bytes = 0
        self._flagged = 0
        self._score_offsets = array("q")
        self._score_bytes = 0
        self._columns: ScoreColumns | None = None
        self._queue: deque[_Pending] = deque()
        self._waiting: dict[str, _Pending] = {}
        # The scorers in the order they first scored (the judge's refusal scorer).
        self._scorers_seen: dict[str, None] = {}
        self._pass: SummaryPass | None = None
        self._sampler: TranscriptSampler | None = None
        self._collected: TranscriptCollector | None = None
        self._counted = 0
        if self.unusable is None:
            handle.listen(self)

    def attempt_written(self, attempt: Attempt, size: int) -> None:
        if self.unusable is not None:
            return
        self._attempt_offsets.append(self._attempt_bytes)
        self._attempt_bytes += size
        self._attempt_hashes.append(hash(attempt.id))
        self._flagged += attempt.error is not None
        if attempt.id in self._waiting:
            self._give_up(f"attempt {attempt.id} was written twice")
            return
        # Exactly the attempts the batch scoring scores: a response and no error.
        scored = attempt.error is None and attempt.response is not None
        pending = _Pending(attempt, self._expected if scored else 0)
        self._queue.append(pending)
        self._waiting[attempt.id] = pending
        if len(self._queue) > self.pending_limit:
            self._give_up(f"more than {self.pending_limit} attempts waited for their scores")

    def score_written(self, score: Score, size: int) -> None:
        if self.unusable is not None:
            return
        if self._columns is None:
            # The first score: the scorers, and the analysis with them, are imported.
            from redline.analysis.score_index import ScoreColumns

            self._columns = ScoreColumns()
        self._score_offsets.append(self._score_bytes)
        self._score_bytes += size
        self._columns.add(score.attempt_id, score.scorer, score.label)
        self._scorers_seen.setdefault(score.scorer, None)
        pending = self._waiting.get(score.attempt_id)
        if pending is None or score.scorer in pending.labels:
            self._give_up(f"a score of {score.scorer} for attempt {score.attempt_id} came late")
            return
        pending.labels[score.scorer] = score.label
        pending.missing -= 1
        self._count_ready()

    def _count_ready(self) -> None:
        """Count the attempts at the head of the queue whose scores are all in, in order."""
        queue = self._queue
        while queue and queue[0].missing <= 0:
            self._count(queue.popleft())

    def _count(self, pending: _Pending) -> None:
        attempt = pending.attempt
        del self._waiting[attempt.id]
        if self._pass is None:
            self._pass = self._start_pass()
        self._pass.add(attempt, self._pass.judge.verdict_of_labels(attempt, pending.labels))

    def _start_pass(self) -> SummaryPass:
        from redline.analysis.summary import SummaryPass
        from redline.report import TranscriptCollector, TranscriptSampler

        judge = SummaryPass.judge_for(
            self.handle.info, self._scorers_seen, scorer=self.headline_scorer
        )
        limit = self.max_transcripts
        # A sample is drawn unless the report shows every transcript; the records
        # of all are made while the run still fits in the report whole.
        self._sampler = None if limit is None else TranscriptSampler(limit=limit)
        self._collected = TranscriptCollector(images=self.handle.images)
        return SummaryPass(judge, on_verdict=self._on_verdict)

    def _on_verdict(self, attempt: Attempt, verdict: Verdict) -> None:
        self._counted += 1
        if self._sampler is not None:
            self._sampler.add(attempt, verdict)
        if self._collected is not None:
            limit = self.max_transcripts
            if limit is not None and self._counted > limit:
                self._collected = None  # too many to show whole: the sample shows them
            else:
                self._collected.add(attempt, verdict)

    def _give_up(self, why: str) -> None:
        self.unusable = why
        # Let go of everything: the finish reads the files, and later records are ignored.
        self._queue.clear()
        self._waiting.clear()
        self._pass = self._sampler = self._collected = None
        self._columns = None
        self._attempt_offsets, self._attempt_hashes = array("q"), array("q")
        self._score_offsets = array("q")

    def take(self) -> FinishParts | None:
        """The finish's inputs, once the run's scoring has closed; None when the files
        must be read instead (:attr:`unusable` says why)."""
        if self.unusable is not None:
            return None
        # Attempts whose scores never all came (a run stopped mid-batch): counted as
        # they are, in order, as the files would give them.
        while self._queue:
            self._count(self._queue.popleft())
        if self.handle.file_sizes() != (self._attempt_bytes, self._score_bytes):
            self._give_up("the run files hold lines this handle did not write")
            return None
        if has_repeats(self._attempt_hashes):
            self._give_up("an attempt id was written twice (or two ids share a hash)")
            return None
        from redline.analysis.score_index import ScoreColumns, ScoreIndex

        handle = self.handle
        scores = StoredRecords.indexed(handle.scores_path, Score, offsets=self._score_offsets)
        index = ScoreIndex.of_columns(scores, self._columns or ScoreColumns())
        summary_pass = self._pass
        if summary_pass is None:  # no attempt at all
            summary_pass = self._start_pass()
        if not _same_judge(summary_pass.judge, handle, index, self.headline_scorer):
            self._give_up("the scores decided another judge than the one the run was read with")
            return None
        attempts = StoredRecords.indexed(
            handle.attempts_path,
            Attempt,
            offsets=self._attempt_offsets,
            flagged=self._flagged,
        )
        limit = self.max_transcripts
        fits = limit is None or len(attempts) <= limit
        return FinishParts(
            attempts=attempts,
            scores=scores,
            index=index,
            summary_pass=summary_pass,
            sampler=None if fits else self._sampler,
            collected=self._collected if fits else None,
        )


def _same_judge(
    judge: AttemptJudge, handle: RunHandle, index: ScoreIndex, headline_scorer: str | None
) -> bool:
    """Whether the final scores decide the judge the pass decided with."""
    from redline.analysis.summary import SummaryPass

    final = SummaryPass.judge_for(handle.info, index.scorers, scorer=headline_scorer)
    return (judge.primary, judge.by_family, judge.harm_scorer, judge.refusal_scorer) == (
        final.primary,
        final.by_family,
        final.harm_scorer,
        final.refusal_scorer,
    )
