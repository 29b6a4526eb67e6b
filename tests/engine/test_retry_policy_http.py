"""The executor's retry waits against a real server on 127.0.0.1 that fails sporadically or
in a burst: the policy must retry the first fast and back the second off hard.

One request in flight at a time (a spare worker takes the slot of a job waiting out
its backoff), so the stub's request numbers are the order the executor sent them in,
and the failure fraction each wait saw is known in advance whichever job retried.
"""

from __future__ import annotations

from redline.core import Attempt, TargetError
from redline.engine import Executor, RetryPolicy, RetryWait
from redline.targets.factory import build_target
from redline.targets.spec import TargetSpec
from redline.testing.openai_stub import running_stub


class RecordingPolicy(RetryPolicy):
    """The real policy; keeps each wait it chose with the latency it knew then."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chosen: list[tuple[int, float | None, RetryWait]] = []

    def wait(self, error: TargetError, retry: int) -> RetryWait:
        chosen = super().wait(error, retry)
        self.chosen.append((retry, self.latency_s, chosen))
        return chosen


async def _run(jobs, fail_on: set[int], count: int) -> tuple[list[Attempt], RecordingPolicy]:
    # base and cap are small only to keep the test short; the regimes are what is checked.
    policy = RecordingPolicy(base=0.02, cap=0.05, window=200, min_outcomes=20)
    async with running_stub(delay=0.0, fail_on=fail_on) as base_url:
        target = build_target(
            TargetSpec(kind="openai", model="stub", base_url=base_url), timeout=10
        )
        results: list[Attempt] = []
        try:
            await Executor(target, concurrency=1, max_retries=30, retry_policy=policy).run(
                jobs(count), results.append
            )
        finally:
            await target.aclose()
    assert len(results) == count and all(a.ok for a in results)
    return results, policy


async def test_sporadic_500s_are_retried_after_about_one_request_latency(jobs):
    results, policy = await _run(jobs, fail_on={30, 60, 90}, count=100)
    assert sum(a.retries for a in results) == len(policy.chosen) == 3
    for retry, latency, chosen in policy.chosen:
        assert latency is not None
        assert (chosen.reason, chosen.pressure) == ("adaptive", 0.0)
        # The ceiling is the observed latency, not the backoff base.
        assert chosen.ceiling == min(0.02, latency) * 2 ** (retry - 1)
        assert chosen.ceiling / 2 <= chosen.seconds <= chosen.ceiling


async def test_a_burst_of_500s_escalates_to_the_full_schedule(jobs):
    burst = set(range(30, 50))  # twenty failures in a row after 29 answers
    results, policy = await _run(jobs, fail_on=burst, count=40)
    # Every failure in the burst was retried once more.
    assert sum(a.retries for a in results) == 20
    pressures = [chosen.pressure for _, _, chosen in policy.chosen]
    assert len(pressures) == 20
    # The first failure after 29 answers looks sporadic; the pressure only grows...
    assert pressures[0] == 0.0
    assert pressures == sorted(pressures)
    # ...and from 30% failed (13 of 42 outcomes) on, the wait is the full schedule
    # for the retry number of the job that failed.
    full = [(retry, chosen) for retry, _, chosen in policy.chosen if chosen.pressure == 1.0]
    assert len(full) == 8
    for retry, chosen in full:
        assert chosen.ceiling == min(0.05, 0.02 * 2 ** (retry - 1))


async def test_a_burst_at_the_start_gets_the_full_schedule(jobs):
    # Nothing is known before 20 outcomes: a target failing from the first request
    # is not retried fast.
    _, policy = await _run(jobs, fail_on={1, 2, 3}, count=5)
    assert [chosen.pressure for _, _, chosen in policy.chosen] == [1.0, 1.0, 1.0]
    for retry, _, chosen in policy.chosen:
        assert chosen.ceiling == min(0.05, 0.02 * 2 ** (retry - 1))
