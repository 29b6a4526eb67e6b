"""What a Constitutional-AI run is: the settings ``redline cai run`` validates into.

The settings are frozen into the run's ``run.json`` with a hash, so running
the same command again finds the run and resumes it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from redline.alignment.constitution import Constitution
from redline.core import content_hash
from redline.run import EngineSettings
from redline.targets.spec import TargetSpec

# Targets whose answers can carry log-probabilities when their options ask for them.
LOGPROB_KINDS = ("local", "openai")


class CaiConfig(BaseModel):
    """One Constitutional-AI run: prompts, constitution, models and rounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    constitution: Constitution
    target: TargetSpec = Field(default_factory=TargetSpec)
    # The model that compares two answers for RL-CAI labels (default: the target).
    feedback: TargetSpec | None = None
    prompts: list[Path] = Field(default_factory=list)
    suites: list[str] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1)
    rounds: int = Field(default=1, ge=1, le=10)
    # Extra tries for a critique that does not parse, each at a new seed.
    critique_retries: int = Field(default=2, ge=0, le=10)
    seed: int = 0
    max_tokens: int = Field(default=160, ge=8)
    temperature: float = Field(default=0.0, ge=0.0)
    # Temperature of critique retries: at 0 a retry would repeat the same reply.
    retry_temperature: float = Field(default=0.8, gt=0.0)
    timeout: float = Field(default=300.0, gt=0)
    concurrency: int = Field(default=4, ge=1)
    cache: bool = True

    def config_hash(self) -> str:
        """What identifies the run (engine settings that change no answer left out)."""
        return content_hash(
            self.model_dump(mode="json", exclude={"timeout", "concurrency", "cache"})
        )

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(concurrency=self.concurrency, timeout=self.timeout, cache=self.cache)

    def feedback_spec(self) -> TargetSpec:
        """The feedback model, asking for log-probabilities where its kind can return them."""
        spec = self.feedback or self.target
        if spec.kind in LOGPROB_KINDS and "logprobs" not in spec.options:
            # 20 alternatives: the other letter is then rarely missing (read as P=0).
            options = {**spec.options, "logprobs": True, "top_logprobs": 20}
            spec = spec.model_copy(update={"options": options})
        return spec
