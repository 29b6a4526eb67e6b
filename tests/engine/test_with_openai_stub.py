"""The engine with the real OpenAI target against the OpenAI-compatible stub on 127.0.0.1:
HTTP 500s, 429 + Retry-After and 401 come from a real server over a real socket."""

from __future__ import annotations

import time

import aiohttp
import pytest

from redline.core import Attempt, TargetAuthError
from redline.engine import Executor
from redline.targets.factory import build_target
from redline.targets.spec import TargetSpec
from redline.testing.openai_stub import running_stub


async def _stub_stats(base_url: str) -> dict[str, int]:
    # The stub shares this event loop, so the client must be async too.
    async with (
        aiohttp.ClientSession() as session,
        session.get(base_url.removesuffix("/v1") + "/stats") as response,
    ):
        return await response.json()


def _target(base_url: str):
    return build_target(TargetSpec(kind="openai", model="stub", base_url=base_url), timeout=10)


async def test_server_errors_are_retried_until_every_attempt_succeeds(jobs):
    async with running_stub(delay=0.005, fail_rate=0.3, seed=3) as base_url:
        target = _target(base_url)
        results: list[Attempt] = []
        try:
            stats = await Executor(
                target, concurrency=16, backoff_base=0.01, backoff_max=0.05, max_retries=10
            ).run(jobs(100), results.append)
        finally:
            await target.aclose()
        server = await _stub_stats(base_url)
    assert len(results) == 100 and all(a.ok for a in results)
    assert results[0].response.startswith("Sure: prompt number")
    assert stats.retries == server["failures"] > 10
    assert stats.requests_sent == server["requests"] == 100 + stats.retries
    assert stats.completion_tokens > 0


async def test_retry_after_from_a_real_429(jobs):
    async with running_stub(delay=0.0, mode="rate_limited") as base_url:
        target = _target(base_url)
        results: list[Attempt] = []
        started = time.monotonic()
        try:
            stats = await Executor(target, concurrency=2, backoff_base=0.01).run(
                jobs(2), results.append
            )
        finally:
            await target.aclose()
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0  # the stub says Retry-After: 1
    assert all(a.ok and a.retries == 1 for a in results)
    assert stats.retries == 2


async def test_a_real_401_stops_the_run(jobs):
    async with running_stub(delay=0.0, mode="unauthorized") as base_url:
        target = _target(base_url)
        results: list[Attempt] = []
        try:
            with pytest.raises(TargetAuthError):
                await Executor(target, concurrency=4).run(jobs(50), results.append)
        finally:
            await target.aclose()
        server = await _stub_stats(base_url)
    # Only the requests already in flight were sent; each was delivered.
    assert 1 <= len(results) == server["requests"] <= 4
    assert all(a.error is not None and a.error.kind == "auth" for a in results)
