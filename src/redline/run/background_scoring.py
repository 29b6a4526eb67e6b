"""Scoring that starts before its scorers exist: built in a thread while requests fly.

Importing the scoring package (numpy, scipy, the classifiers) and loading the
classifier models took about half a second of a scan's start-up, all of it
before the first request. A campaign scored only by built-in scorers that take
no parameters and no judge (:func:`starts_before_scorers`: the default
``refusal`` and ``harm`` among them) now sends first: the scorers are built in a
background thread once the engine has taken its first job, and the analysis and
report modules the finish needs are imported there too. Attempts that finish
before the scorers are ready wait, in order, in a bounded queue; nothing is
lost and the scores are written in the order they would have been.

Bad input is still found before any request: a campaign whose scorers could
fail to build from what the user wrote (parameters, plugins, python scorers, a
judge) builds them before sending, as before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from redline.core import Attempt, Score

if TYPE_CHECKING:
    from redline.scoring.batch import BatchScoring

# Built-in scorers that build from their name alone and need no judge: none of
# them can fail on what the user wrote (a test builds each), so a campaign of
# only these need not build them before sending.
QUICK_START_SCORERS = frozenset({"refusal", "refusal-patterns", "harm", "harm-classifier"})

# Attempts held at most while the scorers are built: a worker that finishes one
# more waits for them (sending slows) instead of the queue growing with the run.
WAITING_LIMIT = 4096


class Scoring(Protocol):
    """What scores a campaign's attempts once built (a ``BatchScoring``)."""

    async def add(self, attempt: Attempt) -> None: ...

    async def close(self) -> None: ...


def starts_before_scorers(scorers: Sequence[str], *, judge: object | None) -> bool:
    """Whether a campaign with these scorer names (and this judge) may send before
    building its scorers: only built-in scorers that cannot fail on user input."""
    return judge is None and all(name in QUICK_START_SCORERS for name in scorers)


def build_batch_scoring(names: Sequence[str], write: Callable[[Score], None]) -> BatchScoring:
    """The campaign's scorers, built; then the finish's modules imported.

    Runs in the background thread. Everything it imports is imported by that
    thread alone while the run sends (the main thread imports these only after
    :meth:`BackgroundScoring.close` has joined it), so the two threads never
    wait on each other's module locks.
    """
    # Imported here, in the background thread, for start-up (module docstring).
    from redline.scoring import build_scorer
    from redline.scoring.batch import BatchScoring

    scoring = BatchScoring([build_scorer(name) for name in names], write)
    # The finish summarises the run and renders the report: imported here, ahead.
    import redline.analysis
    import redline.report.html  # noqa: F401

    return scoring


class BackgroundScoring:
    """A scoring queue whose scoring is built by ``build`` in a background thread.

    :meth:`start` (idempotent) starts the thread; the run loop calls it once the
    engine has taken its first job. Until the scoring is built, :meth:`add`
    keeps attempts in arrival order (at most ``waiting_limit``; past that it
    waits for the build); afterwards it hands them on, the waiting ones first.
    A failed build raises its error from :meth:`add` or :meth:`close`.
    """

    def __init__(self, build: Callable[[], Scoring], *, waiting_limit: int = WAITING_LIMIT) -> None:
        self._build = build
        self._waiting_limit = waiting_limit
        self._built: Future[Scoring] = Future()
        self._thread: threading.Thread | None = None
        self._scoring: Scoring | None = None
        self._waiting: list[Attempt] = []
        self._handing_on = asyncio.Lock()

    @property
    def waiting(self) -> int:
        """Attempts waiting for the scoring to be built."""
        return len(self._waiting)

    def start(self) -> None:
        """Start building the scoring in a background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="redline-scorers", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            scoring = self._build()
        except BaseException as exc:  # handed to the event loop, raised there
            self._built.set_exception(exc)
        else:
            self._built.set_result(scoring)

    async def ready(self) -> Scoring:
        """The built scoring (starting the build if needed), with nothing waiting before it."""
        await self._hand_on()
        assert self._scoring is not None
        return self._scoring

    async def add(self, attempt: Attempt) -> None:
        """Score ``attempt`` with its batch, or keep it until the scoring is built."""
        if self._scoring is not None and not self._waiting and not self._handing_on.locked():
            await self._scoring.add(attempt)
            return
        self._waiting.append(attempt)
        if self._built.done() or len(self._waiting) >= self._waiting_limit:
            await self._hand_on()

    async def _hand_on(self) -> None:
        # One coroutine at a time hands the waiting attempts on, oldest first; an
        # attempt added meanwhile joins the queue behind them (see add).
        async with self._handing_on:
            if self._scoring is None:
                self.start()
                self._scoring = await asyncio.wrap_future(self._built)
                if self._thread is not None:
                    self._thread.join()  # done: its imports are complete
            while self._waiting:
                batch, self._waiting = self._waiting, []
                for attempt in batch:
                    await self._scoring.add(attempt)

    async def close(self) -> None:
        """Wait for the build, score everything waiting, and close the scoring."""
        scoring = await self.ready()
        await scoring.close()

    def join(self) -> None:
        """Wait for the background thread, if it started (a run that raised before
        closing: its imports finish before the caller's error handling imports)."""
        if self._thread is not None:
            self._thread.join()
