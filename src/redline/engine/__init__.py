"""The async executor: concurrency, rate limits, retries, timeouts, response cache, budgets."""

from redline.engine.backoff import backoff_delay
from redline.engine.budget import Budget
from redline.engine.cache import CacheStats, ResponseCache, cache_key, target_fingerprint
from redline.engine.executor import Executor, OnResult
from redline.engine.executors import RAY_INSTALL, ExecutorKind, RunsJobs, make_executor
from redline.engine.job import (
    Driver,
    DryRunEstimate,
    Job,
    Send,
    estimate,
    estimate_prompt_tokens,
    estimate_request_tokens,
)
from redline.engine.progress import NullProgress, ProgressLike, RunProgress, make_progress
from redline.engine.rate_limit import LocalRateGate, RateGate, TokenBucket
from redline.engine.signals import install_sigint_handler
from redline.engine.stats import EngineStats

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
    "ResponseCache",
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
