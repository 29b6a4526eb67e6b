"""Scoring while a run sends: attempts are scored in batches off the event loop.

A CPU scorer with ``score_many`` (the refusal and harm classifiers) costs about a
millisecond an attempt one at a time, on the thread that also drives every
request. :class:`BatchScoring` collects finished attempts and scores each batch
with one ``score_many`` call in a worker thread, so the loop keeps sending while
numpy works; scorers with ``ascore`` (LLM judges) keep scoring one attempt at a
time on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from redline.core import Attempt, Score
from redline.scoring.base import Scorer, score_async

# Big enough that featurising is vectorised, small enough that a killed run
# leaves few attempts unscored (a resumed run scores them: see catch_up).
BATCH_SIZE = 128


def batches_well(scorer: Scorer) -> bool:
    """Whether ``scorer`` scores a batch in one call and needs no event loop.

    A scorer whose async path depends on its set-up (``harm``: a judge or not)
    says so with ``needs_event_loop``; otherwise having ``ascore`` decides.
    """
    needs_loop = getattr(scorer, "needs_event_loop", hasattr(scorer, "ascore"))
    return callable(getattr(scorer, "score_many", None)) and not needs_loop


class BatchScoring:
    """Scores attempts for several scorers and hands each :class:`Score` to ``write``.

    ``write`` runs on the event loop. One batch is scored at a time, in a thread;
    call :meth:`close` at the end of a run to score what is left.
    """

    def __init__(
        self,
        scorers: list[Scorer],
        write: Callable[[Score], None],
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._batched = [s for s in scorers if batches_well(s)]
        self._single = [s for s in scorers if not batches_well(s)]
        self._write = write
        self._batch_size = batch_size
        self._pending: list[Attempt] = []
        self._running: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def scorer_names(self) -> list[str]:
        return [s.name for s in self._batched + self._single]

    async def add(self, attempt: Attempt) -> None:
        """Score ``attempt`` (if it has a response), now or with its batch."""
        if attempt.error is not None or attempt.response is None:
            return
        for scorer in self._single:
            self._write(await score_async(scorer, attempt))
        if not self._batched:
            return
        self._pending.append(attempt)
        if len(self._pending) >= self._batch_size:
            await self._start_batch()

    async def _start_batch(self) -> None:
        # The lock keeps two workers that fill a batch at once from both waiting on
        # the same task and then each starting one: the first of those two tasks
        # would never be awaited, and close() could return before its scores exist.
        async with self._lock:
            if self._running is not None:
                await self._running  # one batch at a time: the scorers are not thread-safe
            batch, self._pending = self._pending, []
            if batch:
                self._running = asyncio.create_task(self._score(batch))

    async def _score(self, batch: list[Attempt]) -> None:
        for scorer in self._batched:
            scores = await asyncio.to_thread(scorer.score_many, batch)  # type: ignore[attr-defined]
            for score in scores:
                self._write(score)

    async def close(self) -> None:
        """Score the attempts still waiting and wait for the batch in progress."""
        if self._pending:
            await self._start_batch()
        async with self._lock:
            if self._running is not None:
                await self._running
                self._running = None


async def catch_up(
    scoring: BatchScoring, attempts: Iterable[Attempt], scored: set[tuple[str, str]]
) -> int:
    """Score recorded attempts that miss a score (a run killed mid-batch); returns how many."""
    names = scoring.scorer_names
    count = 0
    for attempt in attempts:
        if attempt.error is None and any((attempt.id, name) not in scored for name in names):
            await scoring.add(attempt)
            count += 1
    await scoring.close()
    return count
