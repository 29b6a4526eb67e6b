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
