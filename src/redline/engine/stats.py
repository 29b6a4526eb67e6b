"""What an executor run did, for run.json and the summary line."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EngineStats(BaseModel):
    """Counters for one :meth:`Executor.run`.

    ``errors`` maps error kind to count; ``prompt_tokens`` and
    ``completion_tokens`` count what requests used, not cache hits.
    """

    requests_sent: int = 0
    completed: int = 0
    errors: dict[str, int] = Field(default_factory=dict)
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_s: float = 0.0
    interrupted: bool = False
    budget_exhausted: bool = False

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def plus(self, other: EngineStats) -> EngineStats:
        """Counters of two sessions added; the flags are ``other``'s (the later one)."""
        errors = dict(self.errors)
        for kind, count in other.errors.items():
            errors[kind] = errors.get(kind, 0) + count
        return EngineStats(
            requests_sent=self.requests_sent + other.requests_sent,
            completed=self.completed + other.completed,
            errors=errors,
            retries=self.retries + other.retries,
            cache_hits=self.cache_hits + other.cache_hits,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            wall_s=self.wall_s + other.wall_s,
            interrupted=other.interrupted,
            budget_exhausted=other.budget_exhausted,
        )
