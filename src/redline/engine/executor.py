"""The async executor: sends jobs to a target with bounded concurrency, rate limits,
retries, timeouts, a response cache and a budget, and hands back each finished attempt."""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any

from redline.core import (
    Attempt,
    AttemptError,
    Completion,
    ConfigError,
    GenerationParams,
    Message,
    TargetAuthError,
    TargetError,
    TargetTimeoutError,
    TargetUnreachableError,
    Usage,
)
from redline.engine.backoff import RetryPolicy
from redline.engine.budget import Budget
from redline.engine.cache import ResponseCache, cache_key
from redline.engine.job import Job, estimate_request_tokens
from redline.engine.progress import ProgressLike
from redline.engine.rate_limit import LocalRateGate, RateGate, sleep_unless_set
from redline.engine.slots import Slots
from redline.engine.stats import EngineStats
from redline.targets.base import Target, in_flight_limit

OnResult = Callable[[Attempt], Awaitable[None] | None]
JobSource = Callable[[], Awaitable[Job | None]]


def _sync_source(jobs: Iterable[Job]) -> JobSource:
    iterator = iter(jobs)

    async def next_job() -> Job | None:
        return next(iterator, None)

    return next_job


def _async_source(jobs: AsyncIterable[Job]) -> JobSource:
    iterator = aiter(jobs)
    # An async generator cannot be advanced by two workers at once.
    lock = asyncio.Lock()
    done = False

    async def next_job() -> Job | None:
        nonlocal done
        async with lock:
            if done:
                return None
            try:
                return await anext(iterator)
            except StopAsyncIteration:
                done = True
                return None

    return next_job


class Executor:
    """Runs :class:`Job` s against one target.

    A fixed pool of workers pulls jobs from the iterator, so memory stays flat
    however many jobs there are; at most ``concurrency`` requests are in flight,
    and a job waiting out a retry backoff releases its slot to the next job.
    Transient failures (429, 5xx, timeouts, dropped connections) are retried up
    to ``max_retries`` times, after the server's ``Retry-After`` or a jittered wait
    that :class:`RetryPolicy` scales with the recent failure fraction (short for
    sporadic faults, the full exponential schedule from ``backoff_base`` under
    overload or 429), and under overload the :class:`Slots` halve the requests
    in flight (one slot back per ``limit`` successes);
    an auth failure stops the run and is raised once in-flight requests have
    finished; any other target error is recorded on the attempt.
    """

    def __init__(
        self,
        target: Target,
        *,
        concurrency: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        cache: ResponseCache | None = None,
        cache_namespace: str | None = None,
        budget: Budget | None = None,
        progress: ProgressLike | None = None,
        rng: random.Random | None = None,
        unreachable_after: int = 3,
        rate_gate: RateGate | None = None,
        slots: Slots | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {timeout}")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be 0 or more, got {max_retries}")
        if unreachable_after < 1:
            raise ConfigError(f"unreachable_after must be at least 1, got {unreachable_after}")
        for name, rate in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
        ):
            if rate is not None and rate <= 0:
                raise ConfigError(f"{name} must be positive, got {rate}")
        self.target = target
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.cache = cache
        # What cached answers are filed under: the target's name unless the caller
        # gives a fuller identity (redline.engine.cache.target_fingerprint).
        self.cache_namespace = cache_namespace or target.name
        self.budget = budget
        self.progress = progress
        self._rng = rng or random.Random()
        # Shared by a caller that runs several executors against one target (a Ray
        # actor's batches), so the failure fraction covers all their requests.
        self.retry_policy = retry_policy or RetryPolicy(
            base=backoff_base, cap=backoff_max, rng=self._rng
        )
        # Circuit breaker: this many connection failures before the target has ever
        # answered stop the run (kept across runs of one executor, like a pytest
        # session's cases, so a dead target fails each later case at once).
        self.unreachable_after = unreachable_after
        self._answered = False
        self._unreachable = 0
        if rate_gate is None and (requests_per_minute or tokens_per_minute):
            rate_gate = LocalRateGate(
                requests_per_minute=requests_per_minute, tokens_per_minute=tokens_per_minute
            )
        self._gate = rate_gate
        # Requests in flight are bounded by the slots, not by the workers: a job
        # waiting out a backoff holds a worker but no slot (see _send). Under
        # overload the slots shrink. A caller may share one Slots between executors
        # (a Ray actor's batches): those keep what their owner's traffic taught
        # them, while slots this executor made start each run at full size.
        self._owns_slots = slots is None
        self._slots = slots if slots is not None else Slots(in_flight_limit(target, concurrency))
        self._reset()

    def _reset(self) -> None:
        self._stats = EngineStats()
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._cancelled = False
        self._auth_error: TargetAuthError | None = None
        self._fatal_error: TargetError | None = None

    @property
    def stats(self) -> EngineStats:
        """A snapshot of the current (or last) run's counters, also after run() raised."""
        return self._stats.model_copy(deep=True)

    @property
    def stopping(self) -> bool:
        """True once no new jobs will be started (stop requested, budget spent, auth failed)."""
        return self._stopping

    def request_stop(self) -> None:
        """Start no new jobs; let in-flight requests finish and deliver their results."""
        self._stats.interrupted = True
        self._halt()

    def cancel_inflight(self) -> None:
        """Cancel in-flight requests too (the second Ctrl-C); their results are lost."""
        self.request_stop()
        self._cancelled = True
        for worker in self._workers:
            worker.cancel()

    def _halt(self) -> None:
        self._stopping = True
        self._stop_event.set()

    async def run(
        self,
        jobs: Iterable[Job] | AsyncIterable[Job],
        on_result: OnResult,
        *,
        total: int | None = None,
    ) -> EngineStats:
        """Send every job and call ``on_result`` with each finished attempt, as it finishes.

        Returns the run's :class:`EngineStats`. Raises the first
        :class:`TargetAuthError` (after delivering everything that finished), or
        any exception ``on_result`` raised.
        """
        self._reset()
        started = time.perf_counter()
        if self.progress is not None:
            if total is not None:
                self.progress.set_total(total)
            # A bar handed over unstarted is shown for the length of the run;
            # start/stop are idempotent, so a caller's own `with` still works.
            call_optional(self.progress, "start")
        source = _async_source(jobs) if isinstance(jobs, AsyncIterable) else _sync_source(jobs)
        # Spare workers take the slots of jobs waiting out a backoff.
        workers = self.concurrency * 2 if total is None else min(self.concurrency * 2, total)
        self._workers = [
            asyncio.create_task(self._work(source, on_result)) for _ in range(max(1, workers))
        ]
        try:
            outcomes = await asyncio.gather(*self._workers, return_exceptions=True)
        finally:
            self._workers = []
            if self._owns_slots:
                self._slots.reset()
            if self.cache is not None:
                self.cache.flush()
            self._stats.wall_s = time.perf_counter() - started
            if self.progress is not None:
                call_optional(self.progress, "stop")
        for outcome in outcomes:
            if isinstance(outcome, asyncio.CancelledError):
                if not self._cancelled:
                    raise outcome
            elif isinstance(outcome, BaseException):
                raise outcome
        if self._auth_error is not None:
            raise self._auth_error
        if self._fatal_error is not None:
            raise self._fatal_error
        return self._stats.model_copy(deep=True)

    async def _work(self, next_job: JobSource, on_result: OnResult) -> None:
        try:
            while not self._stopping:
                job = await next_job()
                if job is None:
                    return
                attempt = await self._execute(job)
                if attempt is not None:
                    await self._deliver(attempt, on_result)
        except asyncio.CancelledError:
            raise
        except BaseException:
            # One failing worker (on_result raised, say) stops the others
            # cleanly instead of leaving them running unobserved.
            self._halt()
            raise

    async def _deliver(self, attempt: Attempt, on_result: OnResult) -> None:
        stats = self._stats
        stats.completed += 1
        error = attempt.error
        if error is not None:
            stats.errors[error.kind] = stats.errors.get(error.kind, 0) + 1
        if not attempt.cached:  # token counts are what this run spent
            stats.prompt_tokens += attempt.usage.prompt_tokens
            stats.completion_tokens += attempt.usage.completion_tokens
        result = on_result(attempt)
        if inspect.isawaitable(result):
            await result
        if self.progress is not None:
            self.progress.advance(error=error is not None)

    def cache_key(self, job: Job) -> str:
        """The key a single-turn job's answer is cached under."""
        attempt = job.attempt
        return cache_key(
            self.cache_namespace, attempt.messages, job.params, attempt.epoch, attempt.seed
        )

    async def _execute(self, job: Job) -> Attempt | None:
        if job.driver is not None:
            return await self._drive(job)
        attempt = job.attempt
        tries = _Tries()
        try:
            completion, cached = await self._send(attempt, attempt.messages, job.params, tries)
        except _Stopped as stopped:
            # Never finished, so not recorded (a resumed run sends it again); a job
            # cut off by the budget between retries keeps the error it last saw.
            if stopped.last_error is None:
                return None
            return _with_error(attempt, stopped.last_error, tries.retries)
        except Exception as exc:
            return _with_error(attempt, exc, tries.retries)
        return _with_completion(
            attempt,
            completion,
            latency_s=None if cached else tries.latency_s,
            retries=tries.retries,
            cached=cached,
        )

    async def _drive(self, job: Job) -> Attempt | None:
        """Run a multi-turn job: every target call goes through :meth:`_send`."""
        tries = _Tries()
        prompt = completion_tokens = 0

        async def send(messages: list[Message], params: GenerationParams) -> Completion:
            nonlocal prompt, completion_tokens
            try:
                completion, cached = await self._send(job.attempt, messages, params, tries)
            except (_Stopped, TargetError):
                raise
            except Exception as exc:
                raise TargetError(f"{type(exc).__name__}: {exc}") from exc
            if not cached:
                prompt += completion.usage.prompt_tokens
                completion_tokens += completion.usage.completion_tokens
            return completion

        started = time.perf_counter()
        try:
            attempt = await job.driver(job, send)  # type: ignore[misc]
        except _Stopped:
            return None  # the driver's own state file lets a resumed run continue
        except TargetError as exc:
            return _with_error(job.attempt, exc, tries.retries)
        spent = Usage(prompt_tokens=prompt, completion_tokens=completion_tokens)
        return attempt.model_copy(
            update={
                "usage": spent,
                "latency_s": time.perf_counter() - started,
                "retries": tries.retries,
            }
        )

    async def _send(
        self, attempt: Attempt, messages: list[Message], params: GenerationParams, tries: _Tries
    ) -> tuple[Completion, bool]:
        """One request with retries; returns the completion and whether it was cached.

        Holds a concurrency slot only while a request is in flight: a job waiting
        out its backoff gives its slot to another job. Raises :class:`_Stopped`
        if the run stopped first, or the error the last try ended with.
        """
        key = None
        if self.cache is not None:
            key = cache_key(self.cache_namespace, messages, params, attempt.epoch, attempt.seed)
            hit = self.cache.get(key)
            if hit is not None:
                self._stats.cache_hits += 1
                return hit, True
        estimated = estimate_request_tokens(messages, params)
        last_error: TargetError | None = None
        while True:
            async with self._slots:
                completion, error = await self._try_once(
                    messages, params, estimated, tries, last_error
                )
            if completion is not None:
                if key is not None and self.cache is not None:
                    self.cache.put(key, completion)
                return completion, False
            assert error is not None
            last_error = error
            if isinstance(error, TargetAuthError):
                if self._auth_error is None:
                    self._auth_error = error
                self._halt()
                raise error
            if not error.retryable or tries.retries >= self.max_retries or self._stopping:
                raise error
            tries.retries += 1
            self._stats.retries += 1
            if await sleep_unless_set(self._stop_event, self._retry_wait(error, tries.retries)):
                raise _Stopped(None)

    async def _try_once(
        self,
        messages: list[Message],
        params: GenerationParams,
        estimated: int,
        tries: _Tries,
        last_error: TargetError | None,
    ) -> tuple[Completion | None, TargetError | None]:
        """Pass the rate gate and budget, send once; a non-target exception propagates."""
        if not await self._pass_rate_limits(estimated):
            raise _Stopped(None)  # stopped while queued: never sent
        if self.budget is not None and not self.budget.try_spend(estimated):
            self._stats.budget_exhausted = True
            self._halt()
            raise _Stopped(last_error)
        self._stats.requests_sent += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                completion = await self.target.generate(messages, params)
        except TimeoutError:
            error: TargetError = TargetTimeoutError(f"no response within {self.timeout:g}s")
        except TargetError as exc:
            error = exc
        except Exception:
            self._settle(estimated, 0)
            raise
        else:
            self._answered = True
            self._settle(estimated, completion.usage.total_tokens)
            tries.latency_s = time.perf_counter() - started
            self.retry_policy.record_success(tries.latency_s)
            self._slots.note_outcome()
            self._slots.grow()
            return completion, None
        # A failed request is settled as free: providers do not bill refusals
        # to serve, and a timed-out one is unknowable anyway.
        self._settle(estimated, 0)
        self._note_failure(error)
        if error.retryable:
            self.retry_policy.record_failure()
            self._slots.note_outcome()
            if self.retry_policy.overloaded(error):
                self._slots.cut()
        return None, error

    def _note_failure(self, error: TargetError) -> None:
        """Count a failed request toward the circuit breaker; trip it at the limit."""
        if not isinstance(error, TargetUnreachableError):
            self._answered = True  # the server is there, even if it said no
            return
        if self._answered:
            return
        self._unreachable += 1
        if self._unreachable >= self.unreachable_after and self._fatal_error is None:
            self._fatal_error = TargetUnreachableError(
                f"stopped after {self._unreachable} failed connections and no answer: {error} "
                "(is the target running, and is --base-url right?)"
            )
            self._halt()

    async def _pass_rate_limits(self, estimated: int) -> bool:
        if self._gate is not None and not await self._gate.admit(estimated, stop=self._stop_event):
            return False
        return not self._stopping

    def _retry_wait(self, error: TargetError, retry: int) -> float:
        return self.retry_policy.wait(error, retry).seconds

    def _settle(self, estimated: int, actual: int) -> None:
        if self.budget is not None:
            self.budget.settle(estimated, actual)
        if self._gate is not None:
            self._gate.settle(actual - estimated)


class _Tries:
    """Retries spent on one job (across a driver's turns too)."""

    __slots__ = ("latency_s", "retries")

    def __init__(self) -> None:
        self.retries = 0
        self.latency_s: float | None = None


class _Stopped(Exception):
    """The run stopped before a job finished: the job is left unrecorded, unless the
    budget cut it off after a failed try (``last_error``), which is then recorded."""

    def __init__(self, last_error: TargetError | None) -> None:
        super().__init__("stopped")
        self.last_error = last_error


def call_optional(obj: object, method: str) -> None:
    function = getattr(obj, method, None)
    if callable(function):
        function()


def _with_completion(
    attempt: Attempt,
    completion: Completion,
    *,
    latency_s: float | None,
    retries: int,
    cached: bool,
) -> Attempt:
    update: dict[str, Any] = {
        "response": completion.text,
        "finish_reason": completion.finish_reason,
        "usage": completion.usage,
        "latency_s": latency_s,
        "generation_s": None if cached else completion.generation_s,
        "retries": retries,
        "cached": cached,
        "error": None,
    }
    return attempt.model_copy(update=update)


def _with_error(attempt: Attempt, exc: Exception, retries: int) -> Attempt:
    if isinstance(exc, TargetError):
        error = AttemptError(kind=exc.kind, message=str(exc), status=exc.status)
    else:
        error = AttemptError(kind="exception", message=f"{type(exc).__name__}: {exc}")
    return attempt.model_copy(
        update={"response": None, "error": error, "retries": retries, "cached": False}
    )
