"""A campaign: what to send, to which target, how fast, and how to score it.

A campaign is a YAML file (``redline scan campaign.yaml``) or built from CLI
flags; flags given on the command line override the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from redline.attacks.compose import AttackSpec, build_chain
from redline.core import ConfigError, GenerationParams, content_hash
from redline.report.transcript_limit import EMBEDDED_TRANSCRIPTS
from redline.run.loop import EngineSettings
from redline.targets.spec import TargetSpec

# Settings that change how fast a campaign runs but not what it measures; they
# are left out of the config hash so a re-run with other limits resumes.
_RUNTIME_FIELDS = {
    *EngineSettings.model_fields,
    "name",
    "report",
    "headline_scorer",
    "max_transcripts",
}


def _chain_composes(value: str | AttackSpec) -> str | AttackSpec:
    try:
        build_chain(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return value


class Campaign(EngineSettings):
    """Everything a scan needs. Validated on load; unknown keys are errors.

    The engine settings (concurrency, rate limits, timeout, retries, cache,
    budget) are inherited: a campaign file sets them at its top level.
    """

    model_config = ConfigDict(extra="forbid", frozen=False)

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
    report: Path | None = None
    # Transcripts embedded in the HTML report (a stratified sample; 0: none). The
    # run files keep every attempt, so this changes no figure.
    max_transcripts: int = Field(default=EMBEDDED_TRANSCRIPTS, ge=0)

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

    def warnings(self) -> list[str]:
        """Settings that make a campaign's numbers weaker than they look."""
        found = []
        if self.epochs > 1 and self.generation.temperature == 0:
            found.append(
                f"--epochs {self.epochs} at temperature 0: most targets give the same answer "
                "each time, so extra epochs add cost, not evidence (intervals count "
                "behaviours); raise --temperature or add prompts"
            )
        return found

    def engine_settings(self) -> EngineSettings:
        """How this campaign sends (concurrency, limits, cache, budget)."""
        return EngineSettings.model_validate(
            self.model_dump(include=set(EngineSettings.model_fields))
        )

    def config_hash(self) -> str:
        """Identity of what the campaign measures, used to resume by re-running."""
        payload = self.model_dump(mode="json", exclude=_RUNTIME_FIELDS)
        return content_hash(payload)
