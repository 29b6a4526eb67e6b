"""The executor against in-process fake targets: the faults are injected by the fake,
the scheduling, retry, timeout, budget and stop behaviour under test is the real engine's."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import pytest

from redline.core import (
    Attempt,
    Completion,
    ConfigError,
    Message,
    TargetAuthError,
    TargetResponseError,
    TargetTransientError,
)
from redline.engine import Budget, Executor, NullProgress


async def test_runs_every_job_and_fills_the_attempt(fake, jobs):
    target = fake(delay=0.001)
    results: list[Attempt] = []
    stats = await Executor(target, concurrency=4).run(jobs(20), results.append, total=20)
    assert len(results) == 20 == stats.completed == stats.requests_sent == target.calls
    by_id = {a.id: a for a in results}
    first = by_id["a00000"]
    assert first.response == "echo: prompt number 0"
    assert first.finish_reason == "stop"
    assert first.usage.completion_tokens == 5
    assert first.latency_s is not None and first.latency_s >= 0.001
    assert first.retries == 0 and not first.cached and first.error is None
    assert stats.completion_tokens == 100
    assert stats.errors == {}
    assert stats.wall_s > 0


async def test_concurrency_bound_is_reached_and_never_exceeded(fake, jobs):
    target = fake(delay=0.005)
    await Executor(target, concurrency=7).run(jobs(60), lambda a: None)
    assert target.max_in_flight == 7


async def test_jobs_are_pulled_lazily_by_a_fixed_pool(fake, job_factory):
    # A task per job up front would pull the whole iterator at once.
    pulled = delivered = 0
    worst_gap = 0

    def source():
        nonlocal pulled, worst_gap
        for i in range(200):
            pulled += 1
            worst_gap = max(worst_gap, pulled - delivered)
            yield job_factory(i)

    def on_result(_: Attempt) -> None:
        nonlocal delivered
        delivered += 1

    await Executor(fake(delay=0.001), concurrency=5).run(source(), on_result)
    assert delivered == 200
    # Five in flight plus five spare workers (they take the slots of jobs in backoff).
    assert worst_gap <= 10


async def test_async_iterable_of_jobs(fake, job_factory):
    async def source():
        for i in range(30):
            await asyncio.sleep(0)
            yield job_factory(i)

    results: list[Attempt] = []
    stats = await Executor(fake(), concurrency=8).run(source(), results.append)
    assert sorted(a.id for a in results) == [f"a{i:05d}" for i in range(30)]
    assert stats.completed == 30


async def test_async_on_result_is_awaited(fake, jobs):
    seen: list[str] = []

    async def on_result(attempt: Attempt) -> None:
        await asyncio.sleep(0)
        seen.append(attempt.id)

    await Executor(fake(), concurrency=3).run(jobs(10), on_result)
    assert len(seen) == 10


async def test_retry_after_is_honoured(fake, jobs):
    def behaviour(call, messages):
        if call == 1:
            raise TargetTransientError("429 slow down", status=429, retry_after=0.3)

    target = fake(behaviour=behaviour)
    results: list[Attempt] = []
    # A large backoff base proves the wait came from Retry-After, not backoff.
    stats = await Executor(target, concurrency=1, backoff_base=5.0).run(jobs(1), results.append)
    waited = target.call_times[1] - target.call_times[0]
    assert 0.3 <= waited < 0.45
    assert results[0].ok and results[0].retries == 1
    assert stats.retries == 1 and stats.requests_sent == 2


async def test_backoff_waits_grow_and_stay_within_jitter_bounds(fake, jobs):
    def behaviour(call, messages):
        raise TargetTransientError("503 unavailable", status=503)

    target = fake(behaviour=behaviour)
    results: list[Attempt] = []
    executor = Executor(target, concurrency=1, max_retries=3, backoff_base=0.08, backoff_max=0.2)
    stats = await executor.run(jobs(1), results.append)
    gaps = [b - a for a, b in itertools.pairwise(target.call_times)]
    ceilings = [0.08, 0.16, 0.2]  # base * 2**n, capped at backoff_max
    assert len(gaps) == 3
    for gap, ceiling in zip(gaps, ceilings, strict=True):
        assert ceiling / 2 <= gap <= ceiling + 0.05
    # Retries exhausted: recorded as a transient error with the last status.
    attempt = results[0]
    assert attempt.error is not None
    assert (attempt.error.kind, attempt.error.status) == ("transient", 503)
    assert attempt.retries == 3 and attempt.response is None
    assert stats.requests_sent == 4 and stats.errors == {"transient": 1}


async def test_auth_error_stops_the_run_and_is_raised_after_delivery(fake, jobs):
    def behaviour(call, messages):
        if call >= 5:
            raise TargetAuthError("401 invalid key", status=401)

    target = fake(delay=0.01, behaviour=behaviour)
    results: list[Attempt] = []
    executor = Executor(target, concurrency=3)
    with pytest.raises(TargetAuthError, match="invalid key"):
        await executor.run(jobs(100), results.append)
    # Everything that was sent was delivered before the raise, and no more was sent.
    assert len(results) == target.calls < 12
    assert executor.stats.requests_sent == target.calls
    assert any(a.error is not None and a.error.kind == "auth" for a in results)
    assert all(a.ok for a in results if a.error is None)
    assert target.calls == target.call_times.__len__()


async def test_auth_error_is_not_retried(fake, jobs):
    def behaviour(call, messages):
        raise TargetAuthError("403 forbidden", status=403)

    target = fake(behaviour=behaviour)
    with pytest.raises(TargetAuthError):
        await Executor(target, concurrency=1, max_retries=5).run(jobs(3), lambda a: None)
    assert target.calls == 1


async def test_per_request_timeout_is_enforced_and_retried(fake, jobs):
    # The fake answers after 5 s: an answer recorded as a timeout proves the executor gave
    # up on it rather than waiting (no wall-clock bound: it would flake on a loaded machine).
    target = fake(delay=5.0)
    results: list[Attempt] = []
    stats = await Executor(
        target, concurrency=2, timeout=0.1, max_retries=1, backoff_base=0.02
    ).run(jobs(2), results.append)
    assert [a.error.kind for a in results if a.error] == ["timeout", "timeout"]
    assert all(a.retries == 1 for a in results)
    assert stats.requests_sent == 4 and stats.errors == {"timeout": 2}


async def test_other_target_errors_are_recorded_without_retry(fake, jobs):
    def behaviour(call, messages):
        if messages[-1].content.endswith("1"):
            raise TargetResponseError("malformed JSON from target", status=200)

    target = fake(behaviour=behaviour)
    results: list[Attempt] = []
    stats = await Executor(target, concurrency=2).run(jobs(3), results.append)
    bad = next(a for a in results if a.id == "a00001")
    assert bad.error is not None and bad.error.kind == "bad_response"
    assert bad.error.message == "malformed JSON from target"
    assert target.calls == 3 and stats.retries == 0
    assert stats.errors == {"bad_response": 1}


async def test_unexpected_exceptions_become_attempt_errors(fake, jobs):
    def behaviour(call, messages):
        raise KeyError("choices")

    results: list[Attempt] = []
    await Executor(fake(behaviour=behaviour), concurrency=1).run(jobs(2), results.append)
    assert [a.error.kind for a in results if a.error] == ["exception", "exception"]
    assert "KeyError" in results[0].error.message


async def test_request_budget_caps_requests_and_ends_cleanly(fake, jobs):
    target = fake(delay=0.005)
    results: list[Attempt] = []
    budget = Budget(max_requests=10)
    stats = await Executor(target, concurrency=4, budget=budget).run(jobs(50), results.append)
    assert target.calls == 10 == len(results) == stats.requests_sent
    assert stats.budget_exhausted and not stats.interrupted


async def test_token_budget_counts_real_usage(fake, job_factory):
    # Each answer really uses 10 + 5 = 15 tokens; the estimate is 2 + 100.
    job_list = [job_factory(i, max_tokens=100, prompt="p" * 10) for i in range(40)]
    target = fake()
    budget = Budget(max_tokens=150)
    stats = await Executor(target, concurrency=1, budget=budget).run(job_list, lambda a: None)
    assert stats.budget_exhausted
    assert target.calls == 10  # 10 * 15 = 150 reaches the cap
    assert budget.tokens == 150


async def test_requests_per_minute_limit(fake, jobs):
    target = fake()
    started = time.monotonic()
    # 1200/min = 20/s with a one-second burst: 20 at once, then one every 50 ms.
    await Executor(target, concurrency=8, requests_per_minute=1200).run(jobs(30), lambda a: None)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.45  # a lower bound holds on any machine; the gaps say the rest
    tail = target.call_times[20:]
    gaps = [b - a for a, b in itertools.pairwise(tail)]
    assert min(gaps) >= 0.04


async def test_request_stop_finishes_in_flight_and_delivers_them(fake, jobs):
    # The stop comes from inside the sixth request, not from a timer, so how fast a
    # loaded machine runs does not change how many requests started before it.
    async def behaviour(call, messages):
        if call == 6:
            executor.request_stop()
        await asyncio.sleep(0.05)

    target = fake(behaviour=behaviour)
    results: list[Attempt] = []
    executor = Executor(target, concurrency=4)
    stats = await executor.run(jobs(100), results.append)
    assert stats.interrupted
    # Nothing starts after the stop (at most the four slots were busy with it), and every
    # started request was delivered.
    assert 6 <= target.calls <= 9
    assert len(results) == target.calls
    assert all(a.ok for a in results)


async def test_cancel_inflight_drops_unfinished_requests(fake, jobs):
    target = fake(delay=10.0)
    results: list[Attempt] = []
    executor = Executor(target, concurrency=4)
    asyncio.get_running_loop().call_later(0.05, executor.cancel_inflight)
    started = time.monotonic()
    stats = await executor.run(jobs(100), results.append)
    assert time.monotonic() - started < 8.0  # the requests would take 10 s
    assert stats.interrupted and results == [] and target.calls == 4


async def test_stop_during_backoff_does_not_wait_it_out(fake, jobs):
    def behaviour(call, messages):
        raise TargetTransientError("429", status=429, retry_after=30)

    results: list[Attempt] = []
    executor = Executor(fake(behaviour=behaviour), concurrency=2)
    asyncio.get_running_loop().call_later(0.05, executor.request_stop)
    started = time.monotonic()
    stats = await executor.run(jobs(10), results.append)
    assert time.monotonic() - started < 20.0  # the backoff would take 30 s
    # Unfinished jobs are not recorded: a resumed run sends them again.
    assert stats.interrupted and results == []


async def test_on_result_failure_stops_the_run_and_propagates(fake, jobs):
    target = fake(delay=0.001)

    def on_result(attempt: Attempt) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await Executor(target, concurrency=4).run(jobs(100), on_result)
    assert target.calls <= 8


async def test_progress_sees_every_result_and_error(fake, jobs):
    def behaviour(call, messages):
        if call % 4 == 0:
            raise TargetResponseError("bad")

    progress = NullProgress()
    await Executor(fake(behaviour=behaviour), concurrency=2, progress=progress).run(
        jobs(20), lambda a: None, total=20
    )
    assert (progress.done, progress.errors) == (20, 5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"requests_per_minute": -5}, "requests_per_minute"),
    ],
)
def test_bad_settings_are_config_errors(fake, kwargs, field):
    with pytest.raises(ConfigError, match=field):
        Executor(fake(), **kwargs)


def test_seeded_rng_makes_backoff_reproducible(fake):
    from redline.engine import backoff_delay

    a = [backoff_delay(n, base=0.5, cap=30, rng=random.Random(7)) for n in range(1, 8)]
    b = [backoff_delay(n, base=0.5, cap=30, rng=random.Random(7)) for n in range(1, 8)]
    assert a == b


async def test_stop_releases_workers_queued_on_a_slow_rate_limit(fake, jobs):
    target = fake()
    results: list[Attempt] = []
    executor = Executor(target, concurrency=4, requests_per_minute=60)  # one a second
    asyncio.get_running_loop().call_later(0.2, executor.request_stop)
    started = time.monotonic()
    stats = await executor.run(jobs(10), results.append)
    assert time.monotonic() - started < 5.0  # ten requests at one a second would take 9 s
    assert target.calls == len(results) == 1 and stats.interrupted


async def test_a_job_in_backoff_releases_its_slot(fake, jobs):
    # One slot. The first job fails and is told to wait 30 s; the second must be
    # sent during that wait, not after it. Its delivery stops the run, which
    # ends the first job's wait (so it is never recorded) without any clock.
    def behaviour(number: int, messages: list[Message]) -> None:
        if messages[-1].content == "prompt number 0":
            raise TargetTransientError("429", status=429, retry_after=30)

    target = fake(behaviour=behaviour)
    executor = Executor(target, concurrency=1)
    delivered: list[str] = []

    def on_result(attempt: Attempt) -> None:
        delivered.append(attempt.id)
        executor.request_stop()

    stats = await executor.run(jobs(2), on_result)
    assert delivered == ["a00001"]
    assert target.calls == 2
    assert stats.retries == 1


class _OneAtATime:
    """A target that answers one request at a time, in order, 0.2 s each (like the
    in-process model): a request that finds it busy waits in its queue."""

    name = "one-at-a-time"

    def __init__(self, *, max_in_flight: int | None) -> None:
        if max_in_flight is not None:
            self.max_in_flight = max_in_flight
        self._lock = asyncio.Lock()
        self.most_waiting = 0
        self._waiting = 0

    async def generate(self, messages, params):
        self._waiting += 1
        self.most_waiting = max(self.most_waiting, self._waiting)
        async with self._lock:
            self._waiting -= 1
            await asyncio.sleep(0.2)
        return Completion(text="ok")

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("declared", [None, 1])
async def test_a_target_that_answers_one_at_a_time_is_not_timed_out_by_its_queue(jobs, declared):
    # 20 requests at concurrency 20 against a one-at-a-time target: queued inside the
    # target, the last waits 19 x 0.2 s, far past the 2 s timeout. Declaring
    # max_in_flight = 1 keeps them waiting in the engine instead, untimed.
    target = _OneAtATime(max_in_flight=declared)
    results: list[Attempt] = []
    await Executor(target, concurrency=20, timeout=2.0, max_retries=0, cache=None).run(
        jobs(20), results.append
    )
    timeouts = [a for a in results if a.error is not None and a.error.kind == "timeout"]
    if declared is None:
        assert timeouts and target.most_waiting > 1
    else:
        assert not timeouts and len(results) == 20 and target.most_waiting == 1
