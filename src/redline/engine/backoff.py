"""How long to wait before retrying a transient failure.

:func:`backoff_delay` is the plain equal-jitter exponential schedule;
:class:`RetryPolicy` chooses between it and a short wait from what the target
has recently done, so a sporadic fault is retried fast and an overloaded
target is backed off hard.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from redline.core import TargetError


def backoff_delay(
    retry: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """The wait before retry number ``retry`` (1-based): equal-jitter exponential.

    The ceiling is ``min(cap, base * 2 ** (retry - 1))`` and the wait is drawn
    uniformly from its upper half, so clients that failed together spread out
    while every wait still grows with the retry count.
    """
    ceiling = min(cap, base * 2.0 ** (retry - 1))
    draw = (rng or random).random()
    return ceiling / 2 + draw * ceiling / 2


@dataclass(frozen=True, slots=True)
class RetryWait:
    """One wait the policy chose, and why (for tests and diagnostics)."""

    seconds: float
    # "retry_after" (the server said), "rate_limited" (429: the full schedule),
    # or "adaptive" (the ceiling set by the recent failure fraction).
    reason: str
    # 0.0: failures are sporadic, the wait is of the order of a request's latency;
    # 1.0: the target is overloaded (or not yet known), the full exponential schedule.
    pressure: float
    ceiling: float


class RetryPolicy:
    """Waits before retries, scaled by the target's recent failure fraction.

    The policy sees the outcome of every request an executor sends (the last
    ``window`` of them) and the latency of the successful ones (an exponentially
    weighted mean). The wait before retry *n* of a job is drawn, with equal
    jitter, from below a ceiling between two schedules:

    - fast: ``latency * 2**(n-1)``: an isolated 500 costs about one more
      request's time, and a job that keeps failing still backs off exponentially;
    - full: ``min(cap, base * 2**(n-1))``, the schedule of :func:`backoff_delay`.

    The ceiling is the fast one while at most ``sporadic_below`` of the recent
    requests failed, the full one from ``overloaded_from`` on, and in between
    in proportion. Until ``min_outcomes`` requests have been seen, or before any
    has succeeded, nothing is known and the full schedule applies. A 429 always
    gets the full schedule (the server asked for less traffic) and the server's
    ``Retry-After``, when given, always wins. Not thread-safe: one event loop.
    """

    def __init__(
        self,
        *,
        base: float = 0.5,
        cap: float = 30.0,
        window: int = 200,
        min_outcomes: int = 20,
        sporadic_below: float = 0.1,
        overloaded_from: float = 0.3,
        latency_weight: float = 0.05,
        rng: random.Random | None = None,
    ) -> None:
        if not 0.0 <= sporadic_below < overloaded_from <= 1.0:
            raise ValueError("need 0 <= sporadic_below < overloaded_from <= 1")
        if window < 1 or not 1 <= min_outcomes <= window:
            raise ValueError("need window >= 1 and 1 <= min_outcomes <= window")
        self.base = base
        self.cap = cap
        self.min_outcomes = min_outcomes
        self.sporadic_below = sporadic_below
        self.overloaded_from = overloaded_from
        self.latency_weight = latency_weight
        self._rng = rng or random.Random()
        self._outcomes: deque[bool] = deque(maxlen=window)  # True: the request failed
        self._failures = 0
        self._latency_s: float | None = None

    def record_success(self, latency_s: float) -> None:
        """A request answered after ``latency_s`` seconds."""
        self._push(False)
        if self._latency_s is None:
            self._latency_s = latency_s
        else:
            self._latency_s += self.latency_weight * (latency_s - self._latency_s)

    def record_failure(self) -> None:
        """A request failed in a way worth retrying (5xx, 429, timeout, connection)."""
        self._push(True)

    def _push(self, failed: bool) -> None:
        outcomes = self._outcomes
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            self._failures -= 1  # the oldest outcome is about to drop out
        outcomes.append(failed)
        self._failures += failed

    @property
    def failure_fraction(self) -> float | None:
        """The failed share of the recent requests; None until ``min_outcomes`` are seen."""
        if len(self._outcomes) < self.min_outcomes:
            return None
        return self._failures / len(self._outcomes)

    @property
    def latency_s(self) -> float | None:
        """The typical latency of a successful request; None before the first."""
        return self._latency_s

    def pressure(self) -> float:
        """0.0 (sporadic failures) to 1.0 (overloaded, or nothing known yet)."""
        fraction = self.failure_fraction
        if fraction is None or self._latency_s is None:
            return 1.0
        span = self.overloaded_from - self.sporadic_below
        return min(1.0, max(0.0, (fraction - self.sporadic_below) / span))

    def overloaded(self, error: TargetError) -> bool:
        """Whether this failure says the target is overloaded: a 429, or at least
        ``overloaded_from`` of the recent requests failed (once that is known)."""
        if error.status == 429:
            return True
        fraction = self.failure_fraction
        return fraction is not None and fraction >= self.overloaded_from

    def wait(self, error: TargetError, retry: int) -> RetryWait:
        """The wait before retry number ``retry`` (1-based) of a job that failed with ``error``."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after >= 0:
            seconds = float(retry_after)
            return RetryWait(seconds, "retry_after", 1.0, seconds)
        full = min(self.cap, self.base * 2.0 ** (retry - 1))
        if error.status == 429:
            return self._jittered(full, "rate_limited", 1.0)
        pressure = self.pressure()
        if self._latency_s is None:
            return self._jittered(full, "adaptive", pressure)
        fast = min(full, self._latency_s * 2.0 ** (retry - 1))
        return self._jittered(fast + pressure * (full - fast), "adaptive", pressure)

    def _jittered(self, ceiling: float, reason: str, pressure: float) -> RetryWait:
        seconds = ceiling / 2 + self._rng.random() * ceiling / 2
        return RetryWait(seconds, reason, pressure, ceiling)
