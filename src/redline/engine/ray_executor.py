"""Run jobs on a Ray cluster: worker actors each hold an async pool (an :class:`Executor`),
one limiter actor holds the cluster-wide rate limits, and every finished attempt comes
back to the driver, whose ``on_result`` is the run's one writer.

Jobs go out in small batches; a batch whose worker dies is sent again to a fresh worker.
Nothing is recorded until its batch comes back, so a killed worker loses only requests
that were never recorded, and a recorded attempt is never sent again (a resumed run skips
it as usual).

This module imports ``ray`` (the ``redline[ray]`` extra); :mod:`redline.engine.executors`
imports it only when ``--executor ray`` is asked for.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import socket
import time
from collections import deque
from collections.abc import AsyncIterable, Iterable, Iterator
from typing import Any

import ray
from ray.exceptions import RayActorError

from redline.core import Attempt, ConfigError, GenerationParams, RedlineError
from redline.engine.backoff import RetryPolicy
from redline.engine.budget import Budget
from redline.engine.executor import Executor, OnResult, call_optional
from redline.engine.job import Driver, Job, estimate_request_tokens
from redline.engine.progress import ProgressLike
from redline.engine.rate_limit import sleep_unless_set
from redline.engine.slots import Slots
from redline.engine.stats import EngineStats
from redline.targets import build_target
from redline.targets.spec import TargetSpec

# Batches in flight per worker: one being sent while another's results travel back.
_BATCHES_PER_WORKER = 3
# A run gives up after this many worker deaths per worker slot.
_RESTARTS_PER_WORKER = 3
# Object store for a cluster started here: results travel as small strings.
_LOCAL_OBJECT_STORE_BYTES = 96 * 1024 * 1024
_CONNECT_TIMEOUT_S = 5.0
_BURST_S = 0.1


class RayClusterError(RedlineError):
    """The Ray cluster could not be reached, or lost too many workers (exit 3)."""


def _check_reachable(address: str) -> None:
    """Fail fast, naming the address: ray.init itself retries an unreachable head for
    a minute or more before giving up."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RayClusterError(f"cannot reach the Ray cluster at {address}: {exc}") from exc


def connect(address: str | None, *, workers: int) -> None:
    """Join the cluster at ``address`` or start a local one with ``workers`` CPUs."""
    if address is not None:
        _check_reachable(address)
    if ray.is_initialized():
        return
    try:
        if address is None:
            ray.init(
                num_cpus=workers,
                object_store_memory=_LOCAL_OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,
            )
        else:
            ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a new local cluster"
        raise RayClusterError(f"cannot reach the Ray cluster at {where}: {exc}") from exc


def cluster_cpus() -> int:
    """CPUs the connected cluster has (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]


class _Reservations:
    """A token bucket kept as a schedule (GCRA): each call reserves its units and
    learns how long to wait before using them; the long-run rate is exact."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        # A tenth of a second's worth (the local bucket allows a second's): many
        # workers fall behind and catch up at different moments, and each time the
        # bucket refills a whole burst, which over a few seconds shows as overshoot.
        self.burst_s = max(1.0, self.rate * _BURST_S) / self.rate
        self.ready_at = time.monotonic()

    def reserve(self, amount: float, now: float) -> float:
        self.ready_at = max(self.ready_at, now - self.burst_s) + amount / self.rate
        return max(0.0, self.ready_at - now - self.burst_s)

    def adjust(self, amount: float) -> None:
        self.ready_at += amount / self.rate


@ray.remote(num_cpus=0)
class ClusterRateLimiter:
    """Requests- and tokens-per-minute shared by every worker in the cluster."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self._rpm = _Reservations(requests_per_minute) if requests_per_minute else None
        self._tpm = _Reservations(tokens_per_minute) if tokens_per_minute else None

    def reserve(self, tokens: int) -> float:
        """Seconds the caller must wait before sending a request of ``tokens``."""
        now = time.monotonic()
        wait = 0.0
        if self._rpm is not None:
            wait = self._rpm.reserve(1, now)
        if self._tpm is not None:
            wait = max(wait, self._tpm.reserve(tokens, now))
        return wait

    def adjust(self, delta_tokens: int) -> None:
        if self._tpm is not None:
            self._tpm.adjust(delta_tokens)


class ClusterRateGate:
    """The :class:`~redline.engine.rate_limit.RateGate` a worker passes: asks the limiter."""

    def __init__(self, limiter: Any, *, tracks_tokens: bool) -> None:
        self._limiter = limiter
        self._tracks_tokens = tracks_tokens

    async def admit(self, tokens: int, *, stop: asyncio.Event) -> bool:
        wait = await self._limiter.reserve.remote(tokens)
        return not await sleep_unless_set(stop, wait)

    def settle(self, delta_tokens: int) -> None:
        if self._tracks_tokens and delta_tokens:
            self._limiter.adjust.remote(delta_tokens)  # fire and forget


@ray.remote(num_cpus=1)
class EngineWorker:
    """One worker process: a target client and ``concurrency`` request slots shared by
    every batch it is running."""

    def __init__(self, target_spec: str, settings: dict[str, Any], limiter: Any) -> None:
        self._spec = TargetSpec.model_validate_json(target_spec)
        self._settings = settings
        self._limiter = limiter
        self._target: Any = None
        self._slots: Slots | None = None
        self._running: set[Executor] = set()
        # One policy for every batch this worker runs: the failure fraction and the
        # latency it scales retry waits by are this worker's traffic, not one batch's.
        self._retry_policy = RetryPolicy(base=settings["backoff_base"], cap=settings["backoff_max"])

    async def run_batch(
        self, jobs: list[tuple[str, str, Driver | None]]
    ) -> tuple[list[str], dict[str, Any]]:
        """Send a batch; returns each finished attempt (JSON) and the batch's counters."""
        if self._target is None:
            self._target = build_target(self._spec, timeout=self._settings["timeout"])
            self._slots = Slots(self._settings["concurrency"])
        gate = None
        if self._limiter is not None:
            gate = ClusterRateGate(self._limiter, tracks_tokens=self._settings["tracks_tokens"])
        executor = Executor(
            self._target,
            concurrency=self._settings["concurrency"],
            timeout=self._settings["timeout"],
            max_retries=self._settings["max_retries"],
            backoff_base=self._settings["backoff_base"],
            backoff_max=self._settings["backoff_max"],
            rate_gate=gate,
            slots=self._slots,
            retry_policy=self._retry_policy,
        )
        batch = [
            Job(
                attempt=Attempt.model_validate_json(attempt),
                params=GenerationParams.model_validate_json(params),
                driver=driver,
            )
            for attempt, params, driver in jobs
        ]
        finished: list[str] = []
        self._running.add(executor)
        try:
            stats = await executor.run(
                batch, lambda a: finished.append(a.model_dump_json()), total=len(batch)
            )
        finally:
            self._running.discard(executor)
        return finished, stats.model_dump(mode="json")

    def stop(self) -> None:
        """Start no new requests; batches return what finished."""
        for executor in self._running:
            executor.request_stop()


class RayExecutor:
    """Sends single-turn jobs through worker actors on a Ray cluster.

    Same contract as :class:`Executor`: ``run(jobs, on_result)`` calls
    ``on_result`` on the driver for each finished attempt and returns the
    run's :class:`EngineStats`. ``concurrency`` is the cluster-wide number of
    requests in flight, split evenly over ``workers`` actors; ``budget`` is
    checked per job on the driver before the job is sent. The response cache
    is not used (it is a file on the driver's disk), and multi-turn jobs are
    refused (they run on the local executor) unless their driver is portable
    (:func:`is_portable`: an agent episode), which then runs on a worker.
    """

    def __init__(
        self,
        target_spec: TargetSpec,
        *,
        address: str | None = None,
        workers: int | None = None,
        concurrency: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        budget: Budget | None = None,
        progress: ProgressLike | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        if workers is not None and workers < 1:
            raise ConfigError(f"ray workers must be at least 1, got {workers}")
        connect(address, workers=workers or 2)
        self.address = address
        self.workers = workers or cluster_cpus()
        self.concurrency = concurrency
        self.budget = budget
        self.progress = progress
        per_worker = math.ceil(concurrency / self.workers)
        self._settings = {
            "concurrency": per_worker,
            "timeout": timeout,
            "max_retries": max_retries,
            "backoff_base": backoff_base,
            "backoff_max": backoff_max,
            "tracks_tokens": tokens_per_minute is not None,
        }
        self._batch_size = per_worker
        self._spec_json = target_spec.model_dump_json()
        self._limiter = (
            ClusterRateLimiter.remote(requests_per_minute, tokens_per_minute)  # type: ignore[attr-defined]
            if requests_per_minute or tokens_per_minute
            else None
        )
        self.actors: list[Any] = [self._new_worker() for _ in range(self.workers)]
        self._restarts_left = _RESTARTS_PER_WORKER * self.workers
        self._stats = EngineStats()
        self._stopping = False
        self._feeders: list[asyncio.Task[None]] = []

    def _new_worker(self) -> Any:
        # ray.remote classes gain .remote at run time; mypy sees the plain class.
        return EngineWorker.remote(self._spec_json, self._settings, self._limiter)  # type: ignore[attr-defined]

    @property
    def stats(self) -> EngineStats:
        """A snapshot of the run's counters."""
        return self._stats.model_copy(deep=True)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def request_stop(self) -> None:
        """Send no new batches; workers finish the requests in flight and return them."""
        self._stats.interrupted = True
        self._stopping = True
        for actor in self.actors:
            actor.stop.remote()

    def cancel_inflight(self) -> None:
        """Stop waiting for batches in flight (their results are lost, not recorded)."""
        self.request_stop()
        for feeder in self._feeders:
            feeder.cancel()

    async def run(
        self,
        jobs: Iterable[Job] | AsyncIterable[Job],
        on_result: OnResult,
        *,
        total: int | None = None,
    ) -> EngineStats:
        """Send every job through the cluster; ``on_result`` runs here, as batches return."""
        if isinstance(jobs, AsyncIterable):
            raise ConfigError("the ray executor takes a plain iterable of jobs")
        self._stats = EngineStats()
        self._stopping = False
        started = time.perf_counter()
        if self.progress is not None:
            if total is not None:
                self.progress.set_total(total)
            call_optional(self.progress, "start")
        source = _Batches(iter(jobs), size=self._batch_size, budget=self.budget)
        self._feeders = [
            asyncio.create_task(self._feed(index, source, on_result))
            for index in range(self.workers)
            for _ in range(_BATCHES_PER_WORKER)
        ]
        try:
            outcomes = await asyncio.gather(*self._feeders, return_exceptions=True)
        finally:
            self._feeders = []
            self._stats.wall_s = time.perf_counter() - started
            self._stats.budget_exhausted = source.budget_exhausted
            if self.progress is not None:
                call_optional(self.progress, "stop")
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                raise outcome
        return self._stats.model_copy(deep=True)

    async def _feed(self, index: int, source: _Batches, on_result: OnResult) -> None:
        try:
            while not self._stopping:
                batch = source.take()
                if not batch:
                    return
                actor = self.actors[index]
                try:
                    finished, counters = await actor.run_batch.remote(_wire(batch))
                except RayActorError as exc:
                    source.put_back(batch)
                    self._replace_worker(index, actor, exc)
                    continue
                self._add_counters(counters)
                for line in finished:
                    await self._deliver(Attempt.model_validate_json(line), on_result, source)
        except BaseException:
            self._stopping = True
            raise

    def _replace_worker(self, index: int, dead: Any, exc: RayActorError) -> None:
        if self.actors[index] is not dead:
            return  # another feeder of this slot already replaced it
        if self._restarts_left <= 0:
            raise RayClusterError(f"too many Ray workers died; the last: {exc}")
        self._restarts_left -= 1
        self.actors[index] = self._new_worker()

    def _add_counters(self, counters: dict[str, Any]) -> None:
        stats = self._stats
        stats.requests_sent += counters["requests_sent"]
        stats.retries += counters["retries"]
        stats.prompt_tokens += counters["prompt_tokens"]
        stats.completion_tokens += counters["completion_tokens"]

    async def _deliver(self, attempt: Attempt, on_result: OnResult, source: _Batches) -> None:
        stats = self._stats
        stats.completed += 1
        if attempt.error is not None:
            stats.errors[attempt.error.kind] = stats.errors.get(attempt.error.kind, 0) + 1
        source.settle(attempt)
        result = on_result(attempt)
        if inspect.isawaitable(result):
            await result
        if self.progress is not None:
            self.progress.advance(error=attempt.error is not None)


class _Batches:
    """Hands out batches of jobs: returned batches first, then fresh ones from the
    iterator, spending the budget per job before it leaves the driver."""

    def __init__(self, jobs: Iterator[Job], *, size: int, budget: Budget | None) -> None:
        self._jobs = jobs
        self._size = size
        self._budget = budget
        self._returned: deque[list[Job]] = deque()
        self._estimates: dict[str, int] = {}
        self.budget_exhausted = False

    def take(self) -> list[Job]:
        if self._returned:
            return self._returned.popleft()
        batch: list[Job] = []
        while len(batch) < self._size and not self.budget_exhausted:
            job = next(self._jobs, None)
            if job is None:
                break
            if job.driver is not None and not is_portable(job.driver):
                raise ConfigError(
                    "multi-turn attacks run on the local executor; drop --executor ray"
                )
            estimated = estimate_request_tokens(job.attempt.messages, job.params)
            if self._budget is not None:
                if not self._budget.try_spend(estimated):
                    self.budget_exhausted = True
                    break
                self._estimates[job.attempt.id] = estimated
            batch.append(job)
        return batch

    def put_back(self, batch: list[Job]) -> None:
        self._returned.append(batch)

    def settle(self, attempt: Attempt) -> None:
        estimated = self._estimates.pop(attempt.id, None)
        if estimated is not None and self._budget is not None:
            actual = 0 if attempt.error is not None else attempt.usage.total_tokens
            self._budget.settle(estimated, actual)


def is_portable(driver: Driver) -> bool:
    """Whether a job's driver may run on a worker: it says so (``portable = True``),
    which means it pickles and builds every client it needs where it runs (an agent
    episode does; a multi-turn attack holding attacker and judge clients does not)."""
    return getattr(driver, "portable", False) is True


def _wire(batch: list[Job]) -> list[tuple[str, str, Driver | None]]:
    """A batch as JSON strings (cheap for Ray to move, validated again on the worker),
    with each portable driver, which Ray pickles."""
    return [
        (job.attempt.model_dump_json(), job.params.model_dump_json(), job.driver) for job in batch
    ]
