"""The async executor: concurrency, rate limits, retries, timeouts, response cache, budgets."""

from typing import TYPE_CHECKING, Any

from redline.engine.backoff import RetryPolicy, RetryWait, backoff_delay
from redline.engine.budget import Budget
from redline.engine.cache import CacheStats, ResponseCache, cache_key, target_fingerprint
from redline.engine.executor import Executor, OnResult
from redline.engine.executors import RAY_INSTALL, ExecutorKind, RunsJobs, make_executor
from redline.engine.job import (
    Driver,
    DryRunEstimate,
    Job,
    RequestTally,
    Send,
    estimate,
    estimate_prompt_tokens,
    estimate_request_tokens,
)
from redline.engine.progress import NullProgress, ProgressLike, make_progress
from redline.engine.rate_limit import LocalRateGate, RateGate, TokenBucket
from redline.engine.signals import install_sigint_handler
from redline.engine.stats import EngineStats

if TYPE_CHECKING:
    from redline.engine.progress_bar import RunProgress


def __getattr__(name: str) -> Any:
    # RunProgress loads rich's progress modules: only when asked for (start-up).
    if name == "RunProgress":
        from redline.engine.progress_bar import RunProgress

        return RunProgress
    raise AttributeError(f"module 'redline.engine' has no attribute {name!r}")


__all__ = [
    "RAY_INSTALL",
    "Budget",
    "CacheStats",
    "Driver",
    "DryRunEstimate",
    "EngineStats",
    "Executor",
    "ExecutorKind",
    "Job",
    "LocalRateGate",
    "NullProgress",
    "OnResult",
    "ProgressLike",
    "RateGate",
    "RequestTally",
    "ResponseCache",
    "RetryPolicy",
    "RetryWait",
    "RunProgress",
    "RunsJobs",
    "Send",
    "TokenBucket",
    "backoff_delay",
    "cache_key",
    "estimate",
    "estimate_prompt_tokens",
    "estimate_request_tokens",
    "install_sigint_handler",
    "make_executor",
    "make_progress",
    "target_fingerprint",
]
