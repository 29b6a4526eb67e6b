from __future__ import annotations

import asyncio
import time

import pytest

from redline.engine import TokenBucket, rate_limit

# Real sleeps are never shorter than asked, so lower bounds on elapsed time hold on any
# machine; upper bounds would not on a loaded one. "Did not wait" is checked by counting
# the bucket's sleeps instead of timing it.


@pytest.fixture
def bucket_sleeps(monkeypatch):
    """The delays the bucket sleeps for (the sleeps still happen, for real)."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay, *args, **kwargs):
        delays.append(delay)
        await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(rate_limit.asyncio, "sleep", recording_sleep)
    return delays


async def test_bucket_paces_after_its_burst():
    bucket = TokenBucket(600, burst=1)  # 10 a second, no burst beyond one
    started = time.monotonic()
    for _ in range(6):
        await bucket.acquire()
    elapsed = time.monotonic() - started
    assert elapsed >= 0.48


async def test_concurrent_waiters_share_the_rate():
    bucket = TokenBucket(1200, burst=1)  # 20 a second
    started = time.monotonic()
    await asyncio.gather(*(bucket.acquire() for _ in range(11)))
    assert time.monotonic() - started >= 0.48


async def test_request_larger_than_bucket_goes_into_debt_instead_of_hanging(bucket_sleeps):
    bucket = TokenBucket(6000, burst=100)  # 100 tokens a second
    started = time.monotonic()
    await bucket.acquire(250)  # bucket is full: allowed, level goes to -150
    assert bucket_sleeps == []
    await bucket.acquire(10)  # must wait for the debt: ~1.6 s
    assert time.monotonic() - started >= 1.5


async def test_adjust_returns_unused_tokens(bucket_sleeps):
    bucket = TokenBucket(60, burst=100)  # 1 token a second: refill is negligible here
    await bucket.acquire(100)
    bucket.adjust(-90)  # the request used 10 of the 100 reserved
    await bucket.acquire(80)
    assert bucket_sleeps == []


async def test_acquire_gives_up_when_stopped():
    bucket = TokenBucket(60, burst=1)
    stop = asyncio.Event()
    assert await bucket.acquire(stop=stop)
    asyncio.get_running_loop().call_later(0.1, stop.set)
    # The next token is a second away: acquire returns False when stopped, not a token.
    assert not await bucket.acquire(stop=stop)
