"""A unit of work for the executor, and the dry-run arithmetic over many of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from redline.core import Attempt, GenerationParams, Message


@dataclass(frozen=True, slots=True)
class Job:
    """One attempt to send: ``attempt`` has its messages set and no response yet."""

    attempt: Attempt
    params: GenerationParams


def estimate_prompt_tokens(messages: list[Message]) -> int:
    """A cheap prompt-size guess (4 characters a token), good enough for budgets."""
    return sum(len(m.content) for m in messages) // 4


def estimate_request_tokens(messages: list[Message], params: GenerationParams) -> int:
    """The most tokens a request can cost: the prompt guess plus ``max_tokens``."""
    return estimate_prompt_tokens(messages) + params.max_tokens


class DryRunEstimate(BaseModel):
    """What a run would send at most, for ``--dry-run``."""

    requests: int
    prompt_tokens: int
    max_completion_tokens: int
    total_tokens: int


def estimate(jobs: Iterable[Job]) -> DryRunEstimate:
    """Count requests and upper-bound the tokens a set of jobs would use (no retries)."""
    requests = prompt = completion = 0
    for job in jobs:
        requests += 1
        prompt += estimate_prompt_tokens(job.attempt.messages)
        completion += job.params.max_tokens
    return DryRunEstimate(
        requests=requests,
        prompt_tokens=prompt,
        max_completion_tokens=completion,
        total_tokens=prompt + completion,
    )
