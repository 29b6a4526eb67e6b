"""A unit of work for the executor, and the dry-run arithmetic over many of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from redline.core import Attempt, Completion, GenerationParams, Message

# A driver's way to call the target: through the executor's rate limits, budget,
# retries, timeout and cache. Raises the TargetError the last try ended with.
Send = Callable[[list[Message], GenerationParams], Awaitable[Completion]]
# A multi-turn job's execution: calls ``send`` as often as it needs and returns
# the finished attempt (final messages and response, or an error of its own).
Driver = Callable[["Job", Send], Awaitable[Attempt]]


@dataclass(frozen=True, slots=True)
class Job:
    """One attempt to send: ``attempt`` has its messages set and no response yet.

    A job with a ``driver`` is a multi-turn conversation: the executor hands the
    driver a ``send`` function instead of sending ``attempt.messages`` once.
    """

    attempt: Attempt
    params: GenerationParams
    driver: Driver | None = None


def estimate_prompt_tokens(messages: list[Message]) -> int:
    """A cheap prompt-size guess (4 characters a token), good enough for budgets."""
    return sum(len(m.content) for m in messages) // 4


def estimate_request_tokens(messages: list[Message], params: GenerationParams) -> int:
    """The most tokens a request can cost: the prompt guess plus ``max_tokens``."""
    return estimate_prompt_tokens(messages) + params.max_tokens


class DryRunEstimate(BaseModel):
    """What a run would send at most, for ``--dry-run``: requests to the target (tokens
    are the target's), and calls to the attacker and judge models of attacks."""

    requests: int
    prompt_tokens: int
    max_completion_tokens: int
    total_tokens: int
    attacker_requests: int = 0
    judge_requests: int = 0


@dataclass(slots=True)
class RequestTally:
    """The dry-run sums, added to one job at a time: a dry run streams its plan
    through a tally instead of holding every job (issue 12)."""

    requests: int = 0
    prompt_tokens: int = 0
    max_completion_tokens: int = 0

    def add(self, job: Job) -> None:
        self.requests += 1
        self.prompt_tokens += estimate_prompt_tokens(job.attempt.messages)
        self.max_completion_tokens += job.params.max_tokens

    def estimate(self) -> DryRunEstimate:
        return DryRunEstimate(
            requests=self.requests,
            prompt_tokens=self.prompt_tokens,
            max_completion_tokens=self.max_completion_tokens,
            total_tokens=self.prompt_tokens + self.max_completion_tokens,
        )


def estimate(jobs: Iterable[Job]) -> DryRunEstimate:
    """Count requests and upper-bound the tokens a set of jobs would use (no retries)."""
    tally = RequestTally()
    for job in jobs:
        tally.add(job)
    return tally.estimate()
