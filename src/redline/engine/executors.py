"""Choosing an executor: the local async pool, or Ray workers on a cluster."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from redline.core import ConfigError
from redline.engine.budget import Budget
from redline.engine.cache import ResponseCache
from redline.engine.executor import Executor, OnResult
from redline.engine.progress import ProgressLike
from redline.engine.stats import EngineStats
from redline.targets.base import Target
from redline.targets.spec import TargetSpec

ExecutorKind = Literal["local", "ray"]
RAY_INSTALL = "pip install 'redline[ray]'"


def uses_ray(kind: str | None) -> bool:
    """Whether ``kind`` (None: the default, local) asks for Ray; unknown kinds are an error."""
    if kind in (None, "local"):
        return False
    if kind != "ray":
        raise ConfigError(f"unknown executor {kind!r}; one of local, ray")
    return True


def ray_missing(exc: ImportError) -> ConfigError:
    """The error for ``--executor ray`` without the optional ray extra (exit 2)."""
    return ConfigError(f"--executor ray needs the ray package ({exc}); install it: {RAY_INSTALL}")


class RunsJobs(Protocol):
    """What a run loop needs from an executor (both kinds have it)."""

    @property
    def stopping(self) -> bool: ...

    def request_stop(self) -> None: ...

    def cancel_inflight(self) -> None: ...

    async def run(
        self, jobs: Any, on_result: OnResult, *, total: int | None = None
    ) -> EngineStats: ...


def make_executor(
    kind: ExecutorKind,
    *,
    target: Target,
    target_spec: TargetSpec,
    ray_address: str | None = None,
    ray_workers: int | None = None,
    concurrency: int,
    requests_per_minute: float | None,
    tokens_per_minute: float | None,
    timeout: float,
    max_retries: int,
    cache: ResponseCache | None,
    budget: Budget | None,
    progress: ProgressLike | None,
    cache_namespace: str | None = None,
) -> RunsJobs:
    """The executor ``kind`` names, with the run's limits.

    ``ray`` builds its own target clients on the workers from ``target_spec``
    and does not use the response cache (a file on this machine).
    """
    if not uses_ray(kind):
        return Executor(
            target,
            concurrency=concurrency,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            cache_namespace=cache_namespace,
            budget=budget,
            progress=progress,
        )
    try:
        # Imported here because ray is an optional extra: without it, only this
        # choice fails, with the install command.
        from redline.engine.ray_executor import RayExecutor
    except ImportError as exc:
        raise ray_missing(exc) from None
    return RayExecutor(
        target_spec,
        address=ray_address,
        workers=ray_workers,
        concurrency=concurrency,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        timeout=timeout,
        max_retries=max_retries,
        budget=budget,
        progress=progress,
    )
