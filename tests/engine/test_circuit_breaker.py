"""The circuit breaker: connection failures before any answer stop a run at once."""

from __future__ import annotations

import pytest

from redline.core import TargetTransientError, TargetUnreachableError
from redline.engine import Executor


def refused(number, messages):
    raise TargetUnreachableError("t: cannot connect to http://127.0.0.1:9/v1: refused")


async def test_first_failed_connections_stop_the_run(fake, jobs) -> None:
    target = fake(behaviour=refused)
    results = []
    executor = Executor(target, concurrency=1, backoff_base=0.001, backoff_max=0.001)
    with pytest.raises(TargetUnreachableError, match=r"http://127\.0\.0\.1:9/v1"):
        await executor.run(jobs(50), results.append)
    assert target.calls == 3  # three tries of the first job, none of the other 49
    assert [r.error.kind for r in results] == ["transient"]
    # The same executor (a pytest session's next case) stops at the first failure.
    with pytest.raises(TargetUnreachableError):
        await executor.run(jobs(5), results.append)
    assert target.calls == 4


async def test_a_target_that_answered_is_retried_not_cut_off(fake, jobs) -> None:
    def answers_once(number, messages):
        if number > 1:
            raise TargetUnreachableError("t: cannot connect: refused")

    executor = Executor(
        fake(behaviour=answers_once), concurrency=1, max_retries=1, backoff_base=0.001
    )
    results = []
    stats = await executor.run(jobs(6), results.append)
    assert len(results) == 6 and sum(r.error is None for r in results) == 1
    assert stats.requests_sent == 11


async def test_other_failures_do_not_trip_it(fake, jobs) -> None:
    def down(number, messages):
        raise TargetTransientError("HTTP 503", status=503)

    results = []
    executor = Executor(fake(behaviour=down), concurrency=2, max_retries=0)
    await executor.run(jobs(10), results.append)
    assert len(results) == 10
