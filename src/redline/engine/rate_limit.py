"""Token buckets for requests-per-minute and tokens-per-minute limits, and the gate an
executor passes before each request (local buckets, or a cluster-wide limiter)."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable


async def sleep_unless_set(stop: asyncio.Event, delay: float) -> bool:
    """Sleep ``delay`` seconds; True (at once) if ``stop`` is set first."""
    if stop.is_set():
        return True
    try:
        async with asyncio.timeout(delay):
            await stop.wait()
    except TimeoutError:
        return False
    return True


class TokenBucket:
    """A bucket refilled at ``per_minute / 60`` units a second, holding ``burst`` at most.

    Waiters are served in arrival order (one lock), so a large request is not
    starved by a stream of small ones. A request larger than the bucket waits
    for a full bucket and then drives the level negative: the debt is paid by
    later callers, which keeps the long-run rate exact.
    """

    def __init__(self, per_minute: float, *, burst: float | None = None) -> None:
        if per_minute <= 0:
            raise ValueError(f"rate must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        # One second's worth by default: smooth enough not to trip a provider's
        # own shorter windows, large enough not to serialise small requests.
        self.capacity = burst if burst is not None else max(1.0, self.rate)
        self._level = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, amount: float = 1.0, *, stop: asyncio.Event | None = None) -> bool:
        """Wait until ``amount`` units can be taken, then take them and return True.

        Returns False without taking anything if ``stop`` is set first, so a
        stopped run does not sit out a long queue for a slow rate limit.
        """
        async with self._lock:
            self._refill()
            need = min(amount, self.capacity)
            while self._level < need:
                wait = (need - self._level) / self.rate
                if stop is None:
                    await asyncio.sleep(wait)
                elif await sleep_unless_set(stop, wait):
                    return False
                self._refill()
            self._level -= amount
            return True

    def adjust(self, delta: float) -> None:
        """Take ``delta`` more units (or give back, if negative) after the fact."""
        self._refill()
        self._level = min(self.capacity, self._level - delta)


@runtime_checkable
class RateGate(Protocol):
    """What an executor passes before each request, and settles after it."""

    async def admit(self, tokens: int, *, stop: asyncio.Event) -> bool:
        """Wait for room for one request of about ``tokens``; False if ``stop`` came first."""
        ...

    def settle(self, delta_tokens: int) -> None:
        """The request used ``delta_tokens`` more tokens than estimated (negative: fewer)."""
        ...


class LocalRateGate:
    """Requests- and tokens-per-minute buckets held in this process."""

    def __init__(
        self, *, requests_per_minute: float | None, tokens_per_minute: float | None
    ) -> None:
        self._rpm = TokenBucket(requests_per_minute) if requests_per_minute else None
        self._tpm = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    async def admit(self, tokens: int, *, stop: asyncio.Event) -> bool:
        if self._rpm is not None and not await self._rpm.acquire(1, stop=stop):
            return False
        return self._tpm is None or await self._tpm.acquire(tokens, stop=stop)

    def settle(self, delta_tokens: int) -> None:
        if self._tpm is not None:
            self._tpm.adjust(delta_tokens)
