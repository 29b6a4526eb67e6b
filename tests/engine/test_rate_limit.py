from __future__ import annotations

import asyncio
import time

from redline.engine import TokenBucket


async def test_bucket_paces_after_its_burst():
    bucket = TokenBucket(600, burst=1)  # 10 a second, no burst beyond one
    started = time.monotonic()
    for _ in range(6):
        await bucket.acquire()
    elapsed = time.monotonic() - started
    assert 0.48 <= elapsed < 0.7


async def test_concurrent_waiters_share_the_rate():
    bucket = TokenBucket(1200, burst=1)  # 20 a second
    started = time.monotonic()
    await asyncio.gather(*(bucket.acquire() for _ in range(11)))
    assert 0.48 <= time.monotonic() - started < 0.7


async def test_request_larger_than_bucket_goes_into_debt_instead_of_hanging():
    bucket = TokenBucket(6000, burst=100)  # 100 tokens a second
    started = time.monotonic()
    await bucket.acquire(250)  # bucket is full: allowed, level goes to -150
    assert time.monotonic() - started < 0.05
    await bucket.acquire(10)  # must wait for the debt: ~1.6 s
    assert time.monotonic() - started >= 1.5


async def test_adjust_returns_unused_tokens():
    bucket = TokenBucket(60, burst=100)  # 1 token a second: refill is negligible here
    await bucket.acquire(100)
    bucket.adjust(-90)  # the request used 10 of the 100 reserved
    started = time.monotonic()
    await bucket.acquire(80)
    assert time.monotonic() - started < 0.05


async def test_acquire_gives_up_when_stopped():
    bucket = TokenBucket(60, burst=1)
    stop = asyncio.Event()
    assert await bucket.acquire(stop=stop)
    asyncio.get_running_loop().call_later(0.1, stop.set)
    started = time.monotonic()
    assert not await bucket.acquire(stop=stop)
    assert time.monotonic() - started < 0.3
