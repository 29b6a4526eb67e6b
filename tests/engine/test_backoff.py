from __future__ import annotations

import random

import pytest

from redline.core import TargetTransientError
from redline.engine import RetryPolicy, backoff_delay


def test_backoff_is_within_the_upper_half_of_a_capped_exponential():
    rng = random.Random(1)
    for retry in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (retry - 1))
        draws = [backoff_delay(retry, base=0.5, cap=30.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        # Jitter really spreads the waits across the band.
        assert max(draws) - min(draws) > ceiling * 0.4


def test_backoff_never_exceeds_the_cap():
    assert backoff_delay(60, base=1.0, cap=2.0) <= 2.0


# RetryPolicy: the wait before a retry scales with the recent failure fraction.


class _Draw:
    """An rng whose draws are given: 1.0 puts the wait at its ceiling, 0.0 at half of it."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def _policy(**kwargs) -> RetryPolicy:
    settings = {"base": 0.5, "cap": 30.0, "window": 100, "min_outcomes": 20}
    settings.update(kwargs)
    return RetryPolicy(rng=_Draw(1.0), **settings)  # type: ignore[arg-type]


def _feed(policy: RetryPolicy, *, ok: int, failed: int, latency: float = 0.04) -> None:
    for _ in range(ok):
        policy.record_success(latency)
    for _ in range(failed):
        policy.record_failure()


_500 = TargetTransientError("500 injected", status=500)


def test_an_isolated_500_waits_about_one_request_latency():
    policy = _policy()
    _feed(policy, ok=95, failed=5)  # 5% failed: sporadic
    assert policy.failure_fraction == 0.05 and policy.pressure() == 0.0
    first = policy.wait(_500, 1)
    assert (first.reason, first.ceiling, first.seconds) == ("adaptive", 0.04, 0.04)
    # A job that keeps failing still backs off exponentially, from the latency.
    assert policy.wait(_500, 3).ceiling == 0.04 * 4
    # ...but never beyond the full schedule.
    assert policy.wait(_500, 20).ceiling == 30.0


def test_a_high_failure_fraction_gets_the_full_exponential_schedule():
    policy = _policy()
    _feed(policy, ok=60, failed=40)
    assert policy.pressure() == 1.0
    for retry in range(1, 10):
        chosen = policy.wait(_500, retry)
        assert chosen.ceiling == min(30.0, 0.5 * 2 ** (retry - 1))
        assert chosen.seconds == chosen.ceiling  # the draw of 1.0


def test_between_sporadic_and_overloaded_the_ceiling_is_in_proportion():
    policy = _policy(sporadic_below=0.1, overloaded_from=0.3)
    _feed(policy, ok=80, failed=20)  # 20%: halfway
    assert policy.pressure() == pytest.approx(0.5)
    assert policy.wait(_500, 1).ceiling == pytest.approx(0.04 + 0.5 * (0.5 - 0.04))


def test_nothing_known_yet_means_the_full_schedule():
    policy = _policy(min_outcomes=20)
    assert policy.failure_fraction is None and policy.pressure() == 1.0
    assert policy.wait(_500, 1).ceiling == 0.5
    _feed(policy, ok=0, failed=25)  # enough outcomes, but no latency ever seen
    assert policy.latency_s is None and policy.wait(_500, 2).ceiling == 1.0


def test_429_always_gets_the_full_schedule_and_retry_after_always_wins():
    policy = _policy()
    _feed(policy, ok=99, failed=1)
    limited = policy.wait(TargetTransientError("429", status=429), 2)
    assert (limited.reason, limited.ceiling) == ("rate_limited", 1.0)
    told = policy.wait(TargetTransientError("503", status=503, retry_after=7.0), 1)
    assert (told.reason, told.seconds) == ("retry_after", 7.0)
    told = policy.wait(TargetTransientError("429", status=429, retry_after=0.0), 4)
    assert told.seconds == 0.0


def test_the_window_forgets_old_failures():
    policy = _policy(window=100)
    _feed(policy, ok=0, failed=100)
    assert policy.failure_fraction == 1.0
    _feed(policy, ok=95, failed=0)
    assert policy.failure_fraction == 0.05 and policy.pressure() == 0.0
    _feed(policy, ok=5, failed=0)
    assert policy.failure_fraction == 0.0


def test_latency_is_a_weighted_mean_of_successes():
    policy = _policy(latency_weight=0.5)
    policy.record_success(1.0)
    policy.record_success(3.0)
    policy.record_failure()  # a failure says nothing about latency
    assert policy.latency_s == 2.0


def test_jitter_spreads_waits_over_the_upper_half_of_the_ceiling():
    low, high = _policy(), _policy()
    low._rng = _Draw(0.0)  # type: ignore[assignment]
    for policy in (low, high):
        _feed(policy, ok=95, failed=5)
    assert low.wait(_500, 2).seconds == 0.04 and high.wait(_500, 2).seconds == 0.08


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sporadic_below": 0.3, "overloaded_from": 0.3},
        {"sporadic_below": -0.1},
        {"window": 10, "min_outcomes": 11},
        {"min_outcomes": 0},
    ],
)
def test_policy_settings_are_checked(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_overloaded_means_a_429_or_the_overload_fraction_once_known():
    policy = _policy(min_outcomes=20, overloaded_from=0.3)
    _feed(policy, ok=0, failed=19)
    assert not policy.overloaded(_500)  # nothing known yet
    assert policy.overloaded(TargetTransientError("429", status=429))
    _feed(policy, ok=0, failed=1)
    assert policy.overloaded(_500)
    sporadic = _policy()
    _feed(sporadic, ok=75, failed=25)  # 25%: backing off in proportion, not overloaded
    assert not sporadic.overloaded(_500)
    _feed(sporadic, ok=0, failed=8)  # 33 of 100
    assert sporadic.overloaded(_500)
