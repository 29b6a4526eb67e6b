"""The study file: which suites, which arms, what effect sizes matter.

A study YAML (``redline ablate study.yaml``, format in docs/ablation.md) names
a base target, the suites every arm answers (the same prompts: a paired
design), and the arms, either listed or as the product of factors
(``3 system prompts x guard on/off``). Every problem is reported as
``FILE:LINE: field: problem`` (exit 2), through
:class:`redline.core.config_files.YamlDocument`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from redline.ablation.guarded_target import GuardSettings
from redline.ablation.spotlighting import spotlighting_modes
from redline.core import ConfigError, GenerationParams
from redline.core.config_files import YamlDocument, read_yaml
from redline.data import DATASET_FORMATS
from redline.data.suites import SUITES
from redline.targets.spec import TargetSpec

Role = Literal["safety", "over_refusal", "capability"]
ROLES: tuple[Role, ...] = ("safety", "over_refusal", "capability")
# The role of each built-in suite; a prompts file states its own.
BUILT_IN_ROLES: dict[str, Role] = {
    "harmful": "safety",
    "benign": "over_refusal",
    "gsm8k": "capability",
    "mmlu": "capability",
    "ifeval": "capability",
}
CAPABILITY_FORMATS = ("gsm8k", "mmlu", "ifeval")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteChoice(_Strict):
    """One suite of the study: a built-in ``suite`` or a ``prompts`` file, its role and size.

    ``format`` reads a capability file (``gsm8k``, ``mmlu``, ``ifeval``) or
    forces a dataset format; ``limit`` draws that many prompts (seeded, the
    same for every arm).
    """

    suite: str | None = None
    prompts: Path | None = None
    format: str | None = None
    role: Role | None = None
    limit: int | None = Field(default=None, ge=1)
    name: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SuiteChoice:
        if (self.suite is None) == (self.prompts is None):
            raise ValueError("give exactly one of 'suite' (a built-in name) or 'prompts' (a file)")
        if self.suite is not None and self.suite not in SUITES:
            raise ValueError(SUITES.unknown_message(self.suite))
        if self.prompts is not None and self.role is None:
            raise ValueError("a prompts file needs a 'role' (safety, over_refusal, capability)")
        if self.suite is not None and self.role is None and self.suite not in BUILT_IN_ROLES:
            raise ValueError(f"suite {self.suite!r} needs a 'role'")
        known_formats = (*CAPABILITY_FORMATS, *DATASET_FORMATS.names())
        if self.format is not None and self.format not in known_formats:
            raise ValueError(f"unknown format {self.format!r} (known: {', '.join(known_formats)})")
        return self

    @property
    def label(self) -> str:
        """The suite's name in results: ``name``, else the suite or file stem."""
        if self.name:
            return self.name
        return self.suite if self.suite is not None else Path(str(self.prompts)).stem

    @property
    def study_role(self) -> Role:
        return self.role or BUILT_IN_ROLES[str(self.suite)]


class ArmSettings(_Strict):
    """What an arm changes from the base target. Unset fields keep the base's.

    ``system_prompt`` (``""`` for none), ``defensive_instructions`` (appended to
    the system prompt), ``guard`` (``default``, a policy file, or
    ``{policy, thresholds}``; ``off`` for none), ``temperature``,
    ``model_path`` (another checkpoint, e.g. after DPO), ``spotlighting``
    (``delimit``, ``datamark``, ``base64``).
    """

    system_prompt: str | None = None
    defensive_instructions: str | None = None
    guard: GuardSettings | str | None = None
    temperature: float | None = Field(default=None, ge=0.0)
    model_path: Path | None = None
    spotlighting: str | None = None

    @model_validator(mode="after")
    def _known_values(self) -> ArmSettings:
        if self.spotlighting is not None and self.spotlighting not in spotlighting_modes():
            known = ", ".join(spotlighting_modes())
            raise ValueError(f"unknown spotlighting mode {self.spotlighting!r} (known: {known})")
        return self

    def guard_settings(self) -> GuardSettings | None:
        """The guard this arm puts in front of the model, or None."""
        if self.guard is None or self.guard == "off":
            return None
        if isinstance(self.guard, GuardSettings):
            return self.guard
        return GuardSettings(policy=self.guard)

    def merged(self, other: ArmSettings) -> ArmSettings:
        """These settings with ``other``'s set fields on top."""
        return self.model_copy(update={k: getattr(other, k) for k in other.model_fields_set})


class Arm(ArmSettings):
    """One intervention: a name and the settings it changes."""

    name: str = Field(min_length=1)


class Effects(_Strict):
    """The smallest changes (absolute, 0-1) the study should be able to see."""

    harmlessness: float | None = Field(default=None, gt=0.0, lt=1.0)
    over_refusal: float | None = Field(default=None, gt=0.0, lt=1.0)
    capability: float | None = Field(default=None, gt=0.0, lt=1.0)


class Study(_Strict):
    """A whole ablation study."""

    name: str = Field(min_length=1)
    target: TargetSpec = Field(default_factory=TargetSpec)
    generation: GenerationParams = Field(default_factory=GenerationParams)
    seed: int = 0
    suites: list[SuiteChoice] = Field(min_length=1)
    arms: list[Arm] = Field(default_factory=list)
    # Arms as a product: {factor: {level: settings}}; "none" settings change nothing.
    factors: dict[str, dict[str, ArmSettings | None]] = Field(default_factory=dict)
    baseline: str | None = None
    effects: Effects = Field(default_factory=Effects)
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    power: float = Field(default=0.8, gt=0.0, lt=1.0)
    # Expected share of prompts on which two arms disagree; with it the power check
    # uses the paired (McNemar) sample size instead of the conservative unpaired one.
    discordant: float | None = Field(default=None, gt=0.0, le=1.0)
    refusal_scorer: str = "refusal"
    harm_scorer: str = "harm"
    # How each arm's campaign sends (the local model answers one request at a time, so
    # more in flight only queues; the timeout counts the queueing).
    concurrency: int = Field(default=4, ge=1)
    timeout: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _arms_and_baseline(self) -> Study:
        arms = self.all_arms()
        if len(arms) < 2:
            raise ValueError("a study needs at least two arms (in 'arms' or from 'factors')")
        names = [a.name for a in arms]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"arm names must be unique; repeated: {', '.join(repeated)}")
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"baseline {self.baseline!r} is not an arm ({', '.join(names)})")
        labels = [s.label for s in self.suites]
        if len(set(labels)) != len(labels):
            raise ValueError("two suites have the same name; give one a 'name'")
        return self

    def all_arms(self) -> list[Arm]:
        """The listed arms, then the product of the factors (named ``level+level``)."""
        arms = list(self.arms)
        if self.factors:
            axes = [list(levels.items()) for levels in self.factors.values()]
            for combination in itertools.product(*axes):
                settings = ArmSettings()
                for _, level in combination:
                    if level is not None:
                        settings = settings.merged(level)
                name = "+".join(level_name for level_name, _ in combination)
                chosen = {k: getattr(settings, k) for k in settings.model_fields_set}
                arms.append(Arm(name=name, **chosen))
        return arms

    def baseline_arm(self) -> str:
        """The arm others are compared with in the safety-tax table (the first by default)."""
        return self.baseline or self.all_arms()[0].name


def _check_files(doc: YamlDocument, study: Study) -> None:
    """Files named in the study exist (relative paths are read from the study's folder)."""
    for index, choice in enumerate(study.suites):
        if choice.prompts is not None and not choice.prompts.exists():
            raise doc.error(("suites", index, "prompts"), f"no such file {choice.prompts}")
    for index, arm in enumerate(study.arms):
        if arm.model_path is not None and not arm.model_path.exists():
            raise doc.error(("arms", index, "model_path"), f"no such file {arm.model_path}")


def _resolve(data: Any, base: Path) -> Any:
    """Paths in the study relative to the study file's folder."""
    if not isinstance(data, dict):
        return data
    resolved = dict(data)
    for key in ("suites", "arms"):
        items = resolved.get(key)
        if isinstance(items, list):
            resolved[key] = [_resolve_item(item, base) for item in items]
    return resolved


def _resolve_item(item: Any, base: Path) -> Any:
    if not isinstance(item, dict):
        return item
    fixed = dict(item)
    for key in ("prompts", "model_path"):
        if isinstance(fixed.get(key), str) and not Path(fixed[key]).is_absolute():
            fixed[key] = str(base / fixed[key])
    guard = fixed.get("guard")
    if isinstance(guard, dict) and isinstance(guard.get("policy"), str):
        policy = guard["policy"]
        if policy != "default" and not Path(policy).is_absolute():
            fixed["guard"] = {**guard, "policy": str(base / policy)}
    elif isinstance(guard, str) and guard not in ("default", "off"):
        fixed["guard"] = guard if Path(guard).is_absolute() else str(base / guard)
    return fixed


def load_study(path: Path) -> Study:
    """Read and validate a study file; every problem is ``FILE:LINE: field: problem``."""
    doc = read_yaml(Path(path), what="study file")
    data = _resolve(doc.mapping("a study (name, suites, arms)"), Path(path).parent)
    doc = YamlDocument(path=doc.path, data=data, root=doc.root)
    study = doc.validate(Study, description="a study (name, suites, arms)")
    _check_files(doc, study)
    for index, arm in enumerate(study.all_arms()):
        settings = arm.guard_settings()
        if settings is not None:
            try:
                settings.load()
            except ConfigError as exc:
                loc = ("arms", index, "guard") if index < len(study.arms) else ("factors",)
                raise doc.error(loc, str(exc)) from None
    return study
