"""The executor's request slots: a semaphore whose size halves while the target is
overloaded and grows back one slot at a time (additive increase, multiplicative
decrease)."""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    """At most ``limit`` requests in flight; ``limit`` moves between 1 and ``ceiling``.

    A job waiting out a backoff gives its slot to the next job, so backing off alone
    would not lower the load on an overloaded target: the slots would stay full of
    new requests. :meth:`cut` (the target is overloaded) halves the limit;
    requests already in flight finish, and no new one starts until fewer than the
    limit are in flight. Each ``limit`` successes (:meth:`grow`) add one slot
    back. After a cut, the next waits for ``limit`` more outcomes
    (:meth:`note_outcome`), so the failures of the requests that were in flight
    when it cut do not halve it again. Waiters are served in order. One event loop.
    """

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError(f"slots need a ceiling of at least 1, got {ceiling}")
        self.ceiling = ceiling
        self.limit = ceiling
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._successes = 0
        self._outcomes_before_next_cut = 0

    @property
    def waiting(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._waiters)

    async def __aenter__(self) -> None:
        if self.in_flight < self.limit and not self._waiters:
            self._admit()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # whoever woke it counted it in flight
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # woken and cancelled at once: give the slot on
            elif waiter in self._waiters:  # a wake-up may have dropped it already
                self._waiters.remove(waiter)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _admit(self) -> None:
        # The one place a request is let in: always under the limit.
        self.in_flight += 1

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._admit()
                waiter.set_result(None)

    def note_outcome(self) -> None:
        """Count one request's outcome toward the wait after a cut."""
        if self._outcomes_before_next_cut > 0:
            self._outcomes_before_next_cut -= 1

    def cut(self) -> None:
        """The target is overloaded: halve the limit (one slot stays)."""
        if self._outcomes_before_next_cut > 0 or self.limit == 1:
            return
        self.limit = max(1, self.limit // 2)
        self._successes = 0
        self._outcomes_before_next_cut = self.limit

    def grow(self) -> None:
        """A success: every ``limit`` of them add a slot, up to the ceiling."""
        if self.limit >= self.ceiling:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            self.limit += 1
            self._wake()

    def reset(self) -> None:
        """Back to the ceiling (a new run starts at full concurrency)."""
        self.limit = self.ceiling
        self._successes = 0
        self._outcomes_before_next_cut = 0
        self._wake()
