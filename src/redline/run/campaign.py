"""A campaign: what to send, to which target, how fast, and how to score it.

A campaign is a YAML file (``redline scan campaign.yaml``) or built from CLI
flags; flags given on the command line override the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from redline.attacks.compose import AttackSpec, build_chain
from redline.core import ConfigError, GenerationParams, content_hash
from redline.engine.executors import ExecutorKind
from redline.targets.spec import TargetSpec

# Settings that change how fast a campaign runs but not what it measures; they
# are left out of the config hash so a re-run with other limits resumes.
_RUNTIME_FIELDS = {
    "concurrency",
    "requests_per_minute",
    "tokens_per_minute",
    "timeout",
    "max_retries",
    "cache",
    "max_requests",
    "max_tokens",
    "name",
    "report",
    "executor",
    "ray_address",
    "ray_workers",
    "headline_scorer",
}


def _chain_composes(value: str | AttackSpec) -> str | AttackSpec:
    try:
        build_chain(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return value


class Campaign(BaseModel):
    """Everything a scan needs. Validated on load; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    target: TargetSpec = Field(default_factory=TargetSpec)
    suites: list[str] = Field(default_factory=list)
    prompts: list[Path] = Field(default_factory=list)
    epochs: int = Field(default=1, ge=1)
    limit: int | None = Field(default=None, ge=1)
    seed: int = 0
    generation: GenerationParams = Field(default_factory=GenerationParams)
    # refusal: did the model decline; harm: is the response harmful (the CPU
    # classifier, or the judge model when `judge` is set). Reports give both rates.
    scorers: list[str] = Field(default_factory=lambda: ["refusal", "harm"])
    # The scorer that decides every attempt in reports; None: each attack family's
    # own scorer (injection: canary) when the run has it, else the first scorer.
    headline_scorer: str | None = None
    # Attack chains ("base64+roleplay.fiction", or {chain, params}); none means plain prompts.
    attacks: list[Annotated[str | AttackSpec, AfterValidator(_chain_composes)]] = Field(
        default_factory=list
    )
    # Models that attacks use (translation, multi-turn attackers); default: the bundled model.
    attacker: TargetSpec | None = None
    judge: TargetSpec | None = None
    concurrency: int = Field(default=8, ge=1, le=4096)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    cache: bool = True
    max_requests: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    report: Path | None = None
    # Where jobs run: this process's async pool, or worker actors on a Ray cluster
    # (a local one started for the run when ray_address is not given).
    executor: ExecutorKind = "local"
    ray_address: str | None = None
    ray_workers: int | None = Field(default=None, ge=1)

    @field_validator("scorers")
    @classmethod
    def _at_least_one_scorer(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one scorer is needed")
        return value

    @model_validator(mode="after")
    def _headline_is_a_scorer(self) -> Campaign:
        if self.headline_scorer is not None and self.headline_scorer not in self.scorers:
            raise ValueError(
                f"headline_scorer {self.headline_scorer!r} is not one of the scorers "
                f"({', '.join(self.scorers)}); add it to scorers"
            )
        return self

    def with_overrides(self, overrides: dict[str, Any]) -> Campaign:
        """A copy with the given top-level settings replaced (None means: keep)."""
        data = self.model_dump()
        for key, value in overrides.items():
            if value is None:
                continue
            if key == "target":
                data["target"] = {**data["target"], **value}
            elif key == "generation":
                data["generation"] = {**data["generation"], **value}
            else:
                data[key] = value
        return Campaign.model_validate(data)

    def config_hash(self) -> str:
        """Identity of what the campaign measures, used to resume by re-running."""
        payload = self.model_dump(mode="json", exclude=_RUNTIME_FIELDS)
        return content_hash(payload)
