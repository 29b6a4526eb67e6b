"""The executor's slots: halved under overload, grown back one at a time."""

from __future__ import annotations

import asyncio

import pytest

from redline.core import Attempt, TargetTransientError
from redline.engine import Executor
from redline.engine.slots import Slots


def test_cut_halves_once_per_round_and_grow_adds_one_slot_per_limit_successes():
    slots = Slots(8)
    slots.cut()
    assert slots.limit == 4
    slots.cut()  # the failures of requests in flight when it cut: ignored
    assert slots.limit == 4
    for _ in range(4):
        slots.note_outcome()
    slots.cut()
    assert slots.limit == 2
    for _ in range(2):
        slots.note_outcome()
    slots.cut()
    for _ in range(1):
        slots.note_outcome()
    slots.cut()
    assert slots.limit == 1  # never below one
    for expected in (2, 3, 4):
        for _ in range(slots.limit):
            slots.grow()
        assert slots.limit == expected
    slots.reset()
    assert slots.limit == 8
    slots.grow()
    assert slots.limit == 8  # never above the ceiling


def test_a_ceiling_below_one_is_refused():
    with pytest.raises(ValueError):
        Slots(0)


async def test_after_a_cut_no_request_starts_until_fewer_than_the_limit_are_in_flight():
    slots = Slots(4)
    entered = [asyncio.Event() for _ in range(6)]
    leave = [asyncio.Event() for _ in range(6)]

    async def job(index: int) -> None:
        async with slots:
            entered[index].set()
            await leave[index].wait()

    tasks = [asyncio.create_task(job(i)) for i in range(6)]
    for index in range(4):
        await entered[index].wait()
    assert (slots.in_flight, slots.waiting) == (4, 2)
    slots.cut()  # limit 2: the four in flight finish, no new one starts
    for index in range(3):
        leave[index].set()
        await tasks[index]
        if index < 2:
            assert slots.waiting == 2 and not entered[4].is_set()
    # One left in flight, under the limit of two: the first waiter (in order) starts.
    await entered[4].wait()
    assert (slots.in_flight, slots.waiting) == (2, 1) and not entered[5].is_set()
    for _ in range(slots.limit):
        slots.grow()  # a third slot: the last waiter starts
    await entered[5].wait()
    assert slots.in_flight == 3
    for index in (3, 4, 5):
        leave[index].set()
    await asyncio.gather(*tasks)
    assert (slots.in_flight, slots.waiting) == (0, 0)


async def test_a_cancelled_waiter_leaves_no_slot_taken():
    slots = Slots(1)
    held, queued, leave = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with slots:
            held.set()
            await leave.wait()

    async def wait_for_a_slot() -> None:
        queued.set()  # entering waits in this same step: the slot is taken
        async with slots:
            pass

    holder = asyncio.create_task(hold())
    await held.wait()
    waiter = asyncio.create_task(wait_for_a_slot())
    await queued.wait()
    assert slots.waiting == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    leave.set()
    await holder
    assert (slots.in_flight, slots.waiting) == (0, 0)


class RecordingSlots(Slots):
    """The real slots; keep (requests in flight, limit) as each request is let in."""

    def __init__(self, ceiling: int) -> None:
        super().__init__(ceiling)
        self.admitted: list[tuple[int, int]] = []

    def _admit(self) -> None:
        super()._admit()
        self.admitted.append((self.in_flight, self.limit))


async def _run_with_failures(fake, jobs, failing, count: int) -> RecordingSlots:
    slots = RecordingSlots(8)

    async def behaviour(call: int, messages: object) -> None:
        await asyncio.sleep(0.001)  # the target's latency
        if failing(call):
            raise TargetTransientError("503 overloaded", status=503)

    executor = Executor(
        fake(behaviour=behaviour),
        concurrency=8,
        max_retries=50,
        backoff_base=0.002,
        backoff_max=0.01,
        slots=slots,
    )
    results: list[Attempt] = []
    await executor.run(jobs(count), results.append)
    assert len(results) == count and all(a.ok for a in results)
    return slots


async def test_overload_cuts_the_requests_in_flight_and_sporadic_faults_do_not(fake, jobs):
    # Calls 41-120 fail (retries count as calls): 30% of the recent requests
    # have failed from the 18th failure on.
    slots = await _run_with_failures(fake, jobs, lambda call: 41 <= call <= 120, 200)
    assert all(in_flight <= limit for in_flight, limit in slots.admitted)
    limits = [limit for _, limit in slots.admitted]
    assert min(limits) < 8  # cut under 80 failures in a row
    assert limits[-1] > min(limits)  # and grown back on the successes after
    # Slots handed in (a Ray actor's) keep their state; the executor's own reset.
    assert slots.limit == limits[-1]

    slots = await _run_with_failures(fake, jobs, lambda call: call % 20 == 0, 200)
    assert {limit for _, limit in slots.admitted} == {8}


async def test_an_executor_s_own_slots_start_each_run_at_full_size(fake, jobs):
    limits: list[int] = []

    def behaviour(call: int, messages: object) -> None:
        limits.append(executor._slots.limit)
        if call <= 30:
            raise TargetTransientError("503 overloaded", status=503)

    executor = Executor(fake(behaviour=behaviour), concurrency=4, max_retries=40,
                        backoff_base=0.001, backoff_max=0.002)  # fmt: skip
    results: list[Attempt] = []
    await executor.run(jobs(4), results.append)
    assert all(a.ok for a in results)
    assert min(limits) < 4  # 30 failures from the start: cut
    assert executor._slots.limit == executor._slots.ceiling == 4
