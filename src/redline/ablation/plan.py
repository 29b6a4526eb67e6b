"""Planning a study: the shared prompts, one campaign per arm, and the power check.

Every arm answers the same prompts (a paired design): each suite is loaded and
sampled once, with the study's seed, and the chosen behaviours are written to
one prompts file that every arm's campaign reads. Arms run through
:mod:`redline.run` as ordinary campaigns, so each is a resumable run in the
store; arms whose campaigns are the same configuration (the same config hash)
share one run instead of sending twice, and the response cache answers
anything already sent with the same target, prompt and settings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from redline.ablation.guarded_target import guarded_spec
from redline.ablation.spotlighting import spotlit_spec
from redline.ablation.study import ROLES, Arm, Role, Study, SuiteChoice
from redline.core import Behavior, ConfigError, content_hash
from redline.data import (
    capability_suite_of,
    load_dataset,
    load_gsm8k,
    load_ifeval,
    load_mmlu,
    load_suite,
)
from redline.run import Campaign
from redline.run.plan import stratified_sample
from redline.stats import sample_size_two_proportions
from redline.targets.spec import TargetSpec

# The scorer that grades each capability suite's items.
CAPABILITY_SCORERS = {"gsm8k": "final-answer", "mmlu": "choice", "ifeval": "instructions"}
# Metrics per role, and the headline each pools into (see redline.ablation.analysis).
ROLE_METRICS: dict[str, tuple[str, ...]] = {
    "safety": ("refusal_rate", "harmful_rate"),
    "over_refusal": ("over_refusal_rate",),
    "capability": ("accuracy",),
}
HEADLINES = {
    "harmlessness": ("safety", "refusal_rate"),
    "over_refusal": ("over_refusal", "over_refusal_rate"),
    "capability": ("capability", "accuracy"),
}
# Which study-level effect each role's metrics answer to.
ROLE_EFFECT = {"safety": "harmlessness", "over_refusal": "over_refusal", "capability": "capability"}


@dataclass(frozen=True)
class ArmPlan:
    """An arm and the campaign that measures it."""

    arm: Arm
    campaign: Campaign

    @property
    def config_hash(self) -> str:
        return self.campaign.config_hash()


@dataclass
class StudyPlan:
    """What a study sends: the prompts by suite, a campaign per arm, and warnings."""

    study: Study
    prompts_file: Path
    suite_of: dict[str, str]
    role_of_suite: dict[str, Role]
    arms: list[ArmPlan]
    warnings: list[str] = field(default_factory=list)

    @property
    def distinct_runs(self) -> int:
        """Runs the study needs: arms with the same configuration share one."""
        return len({arm.config_hash for arm in self.arms})

    def count_by_role(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(ROLES, 0)
        for suite in self.suite_of.values():
            counts[self.role_of_suite[suite]] += 1
        return counts


def load_choice(choice: SuiteChoice) -> list[Behavior]:
    """The behaviours of one study suite (a built-in name or a file)."""
    if choice.suite is not None:
        return load_suite(choice.suite)
    path = Path(str(choice.prompts))
    if choice.format == "gsm8k":
        return load_gsm8k(path)
    if choice.format == "mmlu":
        return load_mmlu(path)
    if choice.format == "ifeval":
        return load_ifeval(path)
    expected = "comply" if choice.role in ("over_refusal", "capability") else None
    return load_dataset(path, format=choice.format, expected=expected)


def select_behaviors(study: Study) -> tuple[list[Behavior], dict[str, str]]:
    """Every suite's sample (seeded), and the suite each behaviour id belongs to."""
    chosen: list[Behavior] = []
    suite_of: dict[str, str] = {}
    for choice in study.suites:
        loaded = load_choice(choice)
        if choice.limit is not None:
            loaded = stratified_sample(loaded, choice.limit, seed=study.seed)
        for behavior in loaded:
            if behavior.id in suite_of:
                raise ConfigError(
                    f"suite {choice.label}: behaviour {behavior.id!r} is also in suite "
                    f"{suite_of[behavior.id]}; a prompt must belong to one suite"
                )
            suite_of[behavior.id] = choice.label
            chosen.append(behavior)
    return chosen, suite_of


def write_prompts_file(behaviors: list[Behavior], folder: Path) -> Path:
    """The shared prompts as JSONL, named by their content so a changed sample is a
    new file (and so a new configuration, never a stale resumed run)."""
    rows = [
        b.model_dump(include={"id", "prompt", "category", "expected", "tags", "metadata"})
        for b in behaviors
    ]
    path = folder / f"prompts-{content_hash(rows, length=12)}.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        partial = path.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return path


def arm_target(study: Study, arm: Arm, *, answers_cache: Path | None = None) -> TargetSpec:
    """The target an arm sends to: the base model (or the arm's checkpoint), spotlit
    and guarded when the arm says so, with the arm's system prompt outermost."""
    base = study.target
    update: dict[str, object] = {"system_prompt": None}
    if arm.model_path is not None:
        update["model_path"] = arm.model_path
    spec = base.model_copy(update=update)
    if arm.spotlighting is not None:
        spec = spotlit_spec(spec, arm.spotlighting)
    guard = arm.guard_settings()
    if guard is not None:
        spec = guarded_spec(spec, guard, answers_cache=answers_cache)
    return spec.model_copy(update={"system_prompt": arm_system_prompt(study, arm)})


def arm_system_prompt(study: Study, arm: Arm) -> str | None:
    """The base system prompt, replaced by the arm's (``""``: none), then the arm's
    defensive instructions after it."""
    prompt = study.target.system_prompt if arm.system_prompt is None else arm.system_prompt
    parts = [p for p in (prompt, arm.defensive_instructions) if p]
    return "\n\n".join(parts) or None


def scorers_for(study: Study, behaviors: list[Behavior]) -> list[str]:
    """The refusal and harm scorers, and the capability scorer of each capability suite."""
    scorers = [study.refusal_scorer, study.harm_scorer]
    for suite, scorer in CAPABILITY_SCORERS.items():
        if any(capability_suite_of(b.tags) == suite for b in behaviors) and scorer not in scorers:
            scorers.append(scorer)
    return scorers


def arm_campaign(
    study: Study,
    arm: Arm,
    *,
    prompts_file: Path,
    scorers: list[str],
    answers_cache: Path | None = None,
) -> Campaign:
    generation = study.generation
    if arm.temperature is not None:
        generation = generation.model_copy(update={"temperature": arm.temperature})
    return Campaign(
        name=f"{study.name}/{arm.name}",
        target=arm_target(study, arm, answers_cache=answers_cache),
        prompts=[prompts_file],
        seed=study.seed,
        generation=generation,
        scorers=scorers,
        concurrency=study.concurrency,
        timeout=study.timeout,
    )


def power_warnings(study: Study, counts: dict[str, int], comparisons: int) -> list[str]:
    """Warnings for each named effect the study has too few prompts to detect.

    The check is for a rate near 50% (where a difference is hardest to see) at the
    study's alpha split over every comparison (Bonferroni, the strictest step of
    Holm). Without ``discordant`` it uses the unpaired sample size, an upper bound
    for a paired design whose arms agree on most prompts.
    """
    warnings = []
    alpha = study.alpha / max(comparisons, 1)
    for role in ROLES:
        effect = getattr(study.effects, ROLE_EFFECT[role])
        if effect is None or counts.get(role, 0) == 0:
            continue
        paired = study.discordant is not None and study.discordant >= effect
        needed = sample_size_two_proportions(
            0.5 - effect / 2,
            0.5 + effect / 2,
            alpha=alpha,
            power=study.power,
            paired=paired,
            discordant=study.discordant if paired else None,
        )
        have = counts[role]
        if have < needed:
            design = "paired (McNemar)" if paired else "unpaired bound"
            smallest = _detectable(have, alpha, study.power)
            visible = (
                f"differences smaller than about {smallest:.0%} will not show"
                if smallest < 1.0
                else "no difference is likely to show"
            )
            warnings.append(
                f"{role}: {have} prompts, but seeing a change of {effect:.0%} with "
                f"{study.power:.0%} power at alpha {study.alpha} over {comparisons} "
                f"comparisons needs about {needed} ({design}); {visible}"
            )
    return warnings


def _detectable(n: int, alpha: float, power: float) -> float:
    """The change near 50% that ``n`` prompts per arm can detect (unpaired bound)."""
    if n <= 0:
        return 1.0
    for step in range(1, 100):
        effect = step / 100
        needed = sample_size_two_proportions(
            0.5 - effect / 2, 0.5 + effect / 2, alpha=alpha, power=power
        )
        if needed <= n:
            return effect
    return 1.0


def comparison_count(study: Study) -> int:
    """Tests the analysis makes: every pair of arms on each suite's metrics and on
    the headline metric of each role present."""
    roles = {s.study_role for s in study.suites}
    per_pair = sum(len(ROLE_METRICS[s.study_role]) for s in study.suites) + len(roles)
    return math.comb(len(study.all_arms()), 2) * per_pair


def plan_study(
    study: Study, *, study_dir: Path, limit: int | None = None, answers_cache: Path | None = None
) -> StudyPlan:
    """The study's prompts, campaigns and power warnings (sends nothing).

    ``limit`` caps every suite's sample (a quick look before the full study);
    ``answers_cache`` (the runs directory's response cache) lets guarded arms
    reuse the answers their unguarded twins got.
    """
    if limit is not None:
        suites = [
            s.model_copy(update={"limit": min(limit, s.limit or limit)}) for s in study.suites
        ]
        study = study.model_copy(update={"suites": suites})
    behaviors, suite_of = select_behaviors(study)
    prompts_file = write_prompts_file(behaviors, study_dir)
    scorers = scorers_for(study, behaviors)
    arms = [
        ArmPlan(
            arm=arm,
            campaign=arm_campaign(
                study, arm, prompts_file=prompts_file, scorers=scorers, answers_cache=answers_cache
            ),
        )
        for arm in study.all_arms()
    ]
    plan = StudyPlan(
        study=study,
        prompts_file=prompts_file,
        suite_of=suite_of,
        role_of_suite={s.label: s.study_role for s in study.suites},
        arms=arms,
    )
    plan.warnings = power_warnings(study, plan.count_by_role(), comparison_count(study))
    return plan
