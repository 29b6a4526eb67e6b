"""The one run loop: send planned jobs to a target through the engine, score, record.

Every way redline runs prompts goes through :class:`RunLoop`: ``redline scan``
(:func:`redline.run.run_campaign`), ``redline regress run``, ``regress shrink``
and the pytest plugin (:func:`redline.regress.replay`). A loop owns one target
and one :class:`~redline.engine.Executor`, so all of them get the response
cache, budgets, rate limits, retries, Ctrl-C handling and async scoring (LLM
judges score with ``ascore`` while other requests are in flight).

Runs kept in the store add :func:`send_into_run` (status ``running``, then
``failed`` if sending raised) and :func:`finish_run` (counts, engine stats,
final status and the HTML report).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from redline.core import Attempt, Score
from redline.core.records import RunStatus
from redline.engine import (
    Budget,
    EngineStats,
    Executor,
    Job,
    ResponseCache,
    install_sigint_handler,
    make_executor,
    make_progress,
)
from redline.engine.cache import target_fingerprint
from redline.engine.executors import ExecutorKind
from redline.engine.progress import ProgressLike
from redline.report.transcript_limit import EMBEDDED_TRANSCRIPTS
from redline.run.plan import JobPlan
from redline.store import RunHandle
from redline.targets import build_target
from redline.targets.base import Target
from redline.targets.spec import TargetSpec

if TYPE_CHECKING:
    # Scoring, analysis and the report are imported where they are used, not here:
    # a scan sends its first requests before importing them (numpy, scipy, the
    # classifiers), and scores and reports while they are in flight or after.
    from redline.analysis import RunSummary
    from redline.analysis.summary import Verdict
    from redline.run.finish_ahead import FinishAhead
    from redline.scoring import Scorer

# Which scorers judge an attempt (a campaign: all of its scorers; a regression
# suite: the scorer its case names).
ScorersFor = Callable[[Attempt], Sequence["Scorer"]]


class ScoringQueue(Protocol):
    """Where a loop hands finished attempts to be scored in batches (a campaign's
    :class:`~redline.scoring.batch.BatchScoring`, or one whose scorers are still
    being built: :class:`~redline.run.background_scoring.BackgroundScoring`)."""

    async def add(self, attempt: Attempt) -> None:
        """Score ``attempt`` now or with its batch (its scores are written by the queue)."""

    async def close(self) -> None:
        """Score what is still waiting; return when every score is written."""


class EngineSettings(BaseModel):
    """How a run sends: concurrency, rate limits, retries, cache and budget.

    None of these change what a run measures, only how fast and at what cost.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(default=8, ge=1, le=4096)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    cache: bool = True
    max_requests: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    # Where jobs run: this process's async pool, or worker actors on a Ray cluster
    # (a local one started for the run when ray_address is not given).
    executor: ExecutorKind = "local"
    ray_address: str | None = None
    ray_workers: int | None = Field(default=None, ge=1)


def response_cache_path(runs_root: Path) -> Path:
    """Where the response cache lives for a runs directory (shared by all its runs)."""
    return runs_root / ".cache" / "responses.sqlite"


class Recorder(Protocol):
    """Where a loop puts what it gets back."""

    def attempt(self, attempt: Attempt) -> None:
        """An attempt finished (before it is scored, so a scorer failure loses no reply)."""

    def scores(self, attempt: Attempt, scores: list[Score]) -> None:
        """The attempt's scores (none when it errored)."""


class StoreRecorder:
    """Appends attempts and scores to a run in the store."""

    def __init__(self, handle: RunHandle) -> None:
        self.handle = handle

    def attempt(self, attempt: Attempt) -> None:
        self.handle.append_attempt(attempt)

    def scores(self, attempt: Attempt, scores: list[Score]) -> None:
        for score in scores:
            self.handle.append_score(score)


@dataclass
class MemoryRecorder:
    """Keeps each attempt with its scores, for replays that write no run."""

    results: list[tuple[Attempt, list[Score]]] = field(default_factory=list)

    def attempt(self, attempt: Attempt) -> None:
        pass

    def scores(self, attempt: Attempt, scores: list[Score]) -> None:
        self.results.append((attempt, scores))


class RunLoop:
    """One target and one executor, for one batch of jobs or many (a shrink, a pytest session).

    The budget and the response cache span every batch sent through the loop.
    Close it (``async with`` or :meth:`aclose`) to close the target and the cache.
    """

    def __init__(
        self,
        target: Target,
        *,
        settings: EngineSettings,
        cache_path: Path | None = None,
        progress: bool = False,
        handle_sigint: bool = False,
        target_spec: TargetSpec | None = None,
        cache_namespace: str | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.show_progress = progress
        self.handle_sigint = handle_sigint
        self.cache = ResponseCache(cache_path) if settings.cache and cache_path else None
        self.executor = make_executor(
            settings.executor,
            target=target,
            target_spec=target_spec or TargetSpec(),
            ray_address=settings.ray_address,
            ray_workers=settings.ray_workers,
            concurrency=settings.concurrency,
            requests_per_minute=settings.requests_per_minute,
            tokens_per_minute=settings.tokens_per_minute,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            cache=self.cache,
            cache_namespace=cache_namespace,
            budget=Budget(max_requests=settings.max_requests, max_tokens=settings.max_tokens),
            progress=None,
        )

    @classmethod
    def for_target(
        cls,
        spec: TargetSpec,
        *,
        settings: EngineSettings,
        cache_path: Path | None = None,
        progress: bool = False,
        handle_sigint: bool = False,
    ) -> RunLoop:
        """Build the target ``spec`` names and a loop around it; cached answers are
        filed under the target's fingerprint (endpoint, model, config, code)."""
        target = build_target(spec, timeout=settings.timeout)
        return cls(
            target,
            settings=settings,
            cache_path=cache_path,
            progress=progress,
            handle_sigint=handle_sigint,
            target_spec=spec,
            cache_namespace=target_fingerprint(spec, target) if settings.cache else None,
        )

    def cached_answers(self, jobs: Iterable[Job]) -> int:
        """How many of ``jobs`` the cache would answer (single-turn jobs; sends nothing)."""
        executor = self.executor
        if self.cache is None or not isinstance(executor, Executor):
            return 0  # Ray workers keep no cache
        cache = self.cache
        return sum(1 for job in jobs if job.driver is None and executor.cache_key(job) in cache)

    async def send(
        self,
        jobs: Sequence[Job] | JobPlan,
        *,
        scorers_for: ScorersFor,
        recorder: Recorder,
        batch_scoring: ScoringQueue | None = None,
        on_first_job: Callable[[], None] | None = None,
    ) -> EngineStats:
        """Send ``jobs``; record each attempt, score it, record its scores.

        With ``batch_scoring`` (a campaign: the same scorers for every attempt)
        classifier scorers score in batches in a thread while sending, and
        write their scores themselves; otherwise each attempt is scored by
        ``scorers_for(attempt)`` as it arrives. ``on_first_job`` is called on
        the event loop once the engine has taken its first job and every worker
        has started its first request (a campaign starts building its scorers
        then). Returns the engine's counters; raises what the executor raises
        (an auth failure, an unreachable target, a recorder or scorer error).
        """

        if batch_scoring is None:
            # Here, not at the top: a campaign (batch_scoring given) sends before
            # the scoring package is imported (start-up; see the imports above).
            from redline.scoring import score_async

        async def record(attempt: Attempt) -> None:
            recorder.attempt(attempt)
            if batch_scoring is not None:
                await batch_scoring.add(attempt)
                return
            scores: list[Score] = []
            if attempt.error is None and attempt.response is not None:
                for scorer in scorers_for(attempt):
                    # LLM judges score with `ascore`, off the event loop's critical path.
                    scores.append(await score_async(scorer, attempt))
            recorder.scores(attempt, scores)

        total = jobs.pending if isinstance(jobs, JobPlan) else len(jobs)
        if self.show_progress:
            # Said before sending, so a stale cache is noticed before it is trusted.
            known = jobs.known_jobs() if isinstance(jobs, JobPlan) else jobs
            cached = self.cached_answers(known)
            if cached:
                print(
                    f"{cached} of {total} answers from cache, --no-cache to resend",
                    file=sys.stderr,
                )
        progress = make_progress(total, enabled=self.show_progress)
        self.executor.progress = progress  # type: ignore[attr-defined]
        source: Iterable[Job] | AsyncIterable[Job] = jobs
        if isinstance(jobs, JobPlan):
            source = await self._plan_source(jobs, progress)
        if on_first_job is not None:
            if isinstance(self.executor, Executor):
                source = _calling_soon_after_first(source, on_first_job)
            else:  # Ray's executor takes a plain list, sent from other processes
                asyncio.get_running_loop().call_soon(on_first_job)
        remove_sigint_handler = (
            install_sigint_handler(self.executor) if self.handle_sigint else None
        )
        try:
            stats = await self.executor.run(source, record, total=total)
            if batch_scoring is not None:
                await batch_scoring.close()
            return stats
        finally:
            if remove_sigint_handler is not None:
                remove_sigint_handler()

    async def _plan_source(
        self, plan: JobPlan, progress: ProgressLike | None
    ) -> Iterable[Job] | AsyncIterable[Job]:
        """What the executor pulls a plan's jobs from, made as they are sent.

        A failed conversion makes no job, so it moves the progress bar itself.
        A plan that calls no model is iterated synchronously (cheaper per job);
        one whose converters call a model is an async iterable, made up front for
        the Ray executor, which takes a plain iterable.
        """
        record_failed = plan.on_failed

        def failed(attempt: Attempt) -> None:
            if record_failed is not None:
                record_failed(attempt)
            if progress is not None:
                progress.advance(error=True)

        plan.on_failed = failed
        if not plan.needs_models:
            return iter(plan)  # made synchronously: no lock around an async generator per job
        if isinstance(self.executor, Executor):
            return plan
        return [job async for job in plan]

    async def aclose(self) -> None:
        """Close the cache and the target."""
        if self.cache is not None:
            self.cache.close()
            self.cache = None
        await self.target.aclose()

    async def __aenter__(self) -> RunLoop:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _calling_soon_after_first(
    jobs: Iterable[Job] | AsyncIterable[Job], callback: Callable[[], None]
) -> Iterable[Job] | AsyncIterable[Job]:
    """``jobs``, scheduling ``callback`` when the first is taken (or at the end, if none).

    Scheduled with ``call_soon``, it runs after the loop iteration in which the
    workers took their first jobs and began their requests: whatever the
    callback starts (a thread importing the scorers) begins after the first
    requests do, not before.
    """
    pending = [callback]

    def schedule_once() -> None:
        if pending:
            asyncio.get_running_loop().call_soon(pending.pop())

    if isinstance(jobs, AsyncIterable):

        async def async_jobs(source: AsyncIterable[Job]) -> AsyncIterator[Job]:
            async for job in source:
                schedule_once()
                yield job
            schedule_once()

        return async_jobs(jobs)

    def sync_jobs(source: Iterable[Job]) -> Iterator[Job]:
        for job in source:
            schedule_once()
            yield job
        schedule_once()

    return sync_jobs(jobs)


async def send_into_run(
    handle: RunHandle,
    loop: RunLoop,
    jobs: Sequence[Job] | JobPlan,
    *,
    scorers_for: ScorersFor,
    batch_scoring: ScoringQueue | None = None,
    on_first_job: Callable[[], None] | None = None,
) -> EngineStats:
    """Send ``jobs`` into a stored run: ``running`` while sending, ``failed`` if it raised."""
    handle.update(status="running")
    try:
        return await loop.send(
            jobs,
            scorers_for=scorers_for,
            recorder=StoreRecorder(handle),
            batch_scoring=batch_scoring,
            on_first_job=on_first_job,
        )
    except BaseException:
        handle.update(status="failed")
        raise


@dataclass
class FinishedRun:
    """A stored run after :func:`finish_run`: its records, summary and report.

    ``attempts`` and ``scores`` are streamed from the run files on each
    iteration (:class:`~redline.store.StoredRecords`); ``list(...)`` them to index.
    """

    status: RunStatus
    attempts: Collection[Attempt]
    scores: Collection[Score]
    summary: RunSummary
    report_path: Path
    counts: dict[str, int]


def accumulated_engine_stats(previous: dict[str, Any], session: EngineStats) -> dict[str, Any]:
    """run.json's engine stats after one more session: totals over every session that
    worked on the run (a resume or a re-run adds one), and the sessions under ``sessions``.

    Stats written before sessions were kept count as the first session.
    """
    earlier = previous.get("sessions")
    if earlier is None:
        earlier = [previous] if previous else []
    sessions = [*earlier, session.model_dump(mode="json")]
    total = EngineStats()
    for item in sessions:
        total = total.plus(EngineStats.model_validate(item))
    return {**total.model_dump(mode="json"), "sessions": sessions}


def finish_run(
    handle: RunHandle,
    stats: EngineStats,
    *,
    report_path: Path,
    headline_scorer: str | None = None,
    max_transcripts: int | None = EMBEDDED_TRANSCRIPTS,
    ahead: FinishAhead | None = None,
) -> FinishedRun:
    """Write the run's final status, counts and engine stats, then its HTML report
    (embedding at most ``max_transcripts`` transcripts; None: all).

    Each file is indexed once; attempts are streamed from it (a 100k-attempt
    run is never held whole) and the scores are read once into one
    :class:`~redline.analysis.ScoreIndex` that the summary and the report share.
    ``ahead``, a :class:`~redline.run.finish_ahead.FinishAhead` that followed the
    run as it was written, gives the indexes, the summary's pass and the
    transcripts made during the run; the files are read only where it cannot.
    """
    # Imported here, for the finish only: a scan's start-up (before its first
    # request) does not pay for the analysis and the report (numpy, jinja).
    from redline.analysis import ScoreIndex, summarize_run
    from redline.report import TranscriptCollector, TranscriptSampler, render_html

    parts = None
    if (
        ahead is not None
        and ahead.headline_scorer == headline_scorer
        and ahead.max_transcripts == max_transcripts
    ):
        parts = ahead.take()
    if parts is not None:
        attempts, stored_scores = parts.attempts, parts.scores
    else:
        attempts, stored_scores = handle.stored_attempts(), handle.stored_scores()
    # The counts come from the two indexes (no third and fourth read of the files).
    counts = {
        "attempts": len(attempts),
        "errors": attempts.flagged,
        "scores": len(stored_scores),
    }
    unfinished = stats.interrupted or stats.budget_exhausted
    status: RunStatus = "interrupted" if unfinished else "completed"
    if counts["attempts"] and counts["errors"] == counts["attempts"] and not stats.interrupted:
        # Nothing was measured: reporting it "completed" with empty figures would
        # read as a clean result. A run the user stopped stays "interrupted" (and
        # resumable): Ctrl-C during the first, failing requests is still Ctrl-C.
        status = "failed"
    engine_stats = accumulated_engine_stats(handle.info.engine_stats, stats)
    handle.update(status=status, counts=counts, engine_stats=engine_stats)
    # Summarised after the update so the report shows the final status and engine stats.
    if parts is not None:
        scores = parts.index
        summary = parts.summary(handle)
        sampler, collected = parts.sampler, parts.collected
    else:
        scores = ScoreIndex(stored_scores)
        # The summary's pass over the attempts also serves the report's transcripts: it
        # chooses the sample of a run too big to show whole, and makes every record of
        # one that fits. Each attempt is read and judged once, not again for the report.
        sampler = None
        collected = None
        on_verdict: Callable[[Attempt, Verdict], None]
        if max_transcripts is not None and 0 <= max_transcripts < len(attempts):
            sampler = TranscriptSampler(limit=max_transcripts)
            on_verdict = sampler.add
        else:
            collected = TranscriptCollector(images=handle.images)
            on_verdict = collected.add
        summary = summarize_run(
            handle.info, attempts, scores, scorer=headline_scorer, on_verdict=on_verdict
        )
    render_html(
        info=handle.info,
        summary=summary,
        attempts=attempts,
        scores=scores,
        path=report_path,
        images=handle.images,
        max_transcripts=max_transcripts,
        sampler=sampler,
        collected=collected,
    )
    return FinishedRun(
        status=status,
        attempts=attempts,
        scores=scores,
        summary=summary,
        report_path=report_path,
        counts=counts,
    )
