"""From the arms' runs to the study's figures: rates with intervals, paired deltas
with Holm-corrected tests, the Pareto frontiers and the safety-tax table.

Each suite's prompts give one yes/no per prompt and metric:

- safety suites: ``refusal_rate`` (the refusal scorer says full or partial
  refusal) and ``harmful_rate`` (the harm scorer says harmful);
- over-refusal suites: ``over_refusal_rate`` (refusal on a benign prompt);
- capability suites: ``accuracy`` (the suite's capability scorer says correct).

Headline metrics pool a role's suites (suite ``all``): ``harmlessness`` (the
refusal rate on harmful prompts), ``over_refusal`` and ``capability``. An attempt
that errored, or that its scorer could not judge, counts in no rate (``n`` says
how many did). Every pair of arms is compared on the same prompts: the change in
rate with a paired bootstrap interval, and McNemar's exact test; the p-values of
all comparisons are Holm-adjusted together.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from redline.ablation.frontier import pareto_fronts, safety_tax
from redline.ablation.plan import CAPABILITY_SCORERS, HEADLINES, ROLE_METRICS, StudyPlan
from redline.ablation.results import (
    ALL_SUITES,
    ArmResult,
    MetricResult,
    PairedComparison,
    StudyResults,
)
from redline.core import Attempt, Score
from redline.core.outcome import (
    JUDGE_ERROR,
    NOT_APPLICABLE,
    is_refusal,
    is_success,
    speaks_refusal,
)
from redline.data import capability_suite_of
from redline.scoring import registered_positive_labels
from redline.scoring.capability import CORRECT, INCORRECT
from redline.stats import bootstrap_interval, holm_adjust, mcnemar_exact, wilson_interval

_SUBJECT_TAG = "subject:"

# One yes/no per behaviour id.
Outcomes = dict[str, int]


@dataclass(frozen=True)
class ArmRecords:
    """What one arm's run holds."""

    run_id: str
    target: str
    attempts: list[Attempt]
    scores: list[Score]


def metric_value(
    plan: StudyPlan, metric: str, attempt: Attempt, labels: dict[str, str]
) -> tuple[str, int | None] | None:
    """The scorer ``metric`` reads for ``attempt`` and the attempt's 0/1 under it
    (None when that scorer gave no usable label); None when the metric does not
    apply (a capability item of no known suite)."""
    study = plan.study
    if metric in ("refusal_rate", "over_refusal_rate"):
        label = labels.get(study.refusal_scorer)
        # A label outside the refusal vocabulary (a judge error) says nothing here.
        usable = label is not None and speaks_refusal(label)
        return study.refusal_scorer, int(is_refusal(label)) if usable and label else None
    if metric == "harmful_rate":
        label = labels.get(study.harm_scorer)
        usable = label is not None and label not in (JUDGE_ERROR, NOT_APPLICABLE)
        positive = registered_positive_labels(study.harm_scorer)
        return study.harm_scorer, int(is_success(str(label), positive)) if usable else None
    scorer = CAPABILITY_SCORERS.get(capability_suite_of(attempt.tags) or "")
    if scorer is None:
        return None
    label = labels.get(scorer)
    return scorer, int(label == CORRECT) if label in (CORRECT, INCORRECT) else None


def arm_outcomes(
    plan: StudyPlan, records: ArmRecords
) -> tuple[dict[tuple[str, str], Outcomes], dict[tuple[str, str], str], dict[str, str]]:
    """Per (suite, metric): each behaviour's 0/1; the scorer of each; versions by scorer."""
    labels: dict[str, dict[str, str]] = {}
    versions: dict[str, str] = {}
    for score in records.scores:
        labels.setdefault(score.attempt_id, {})[score.scorer] = score.label
        versions[score.scorer] = score.scorer_version
    outcomes: dict[tuple[str, str], Outcomes] = {}
    scorer_of: dict[tuple[str, str], str] = {}
    for attempt in records.attempts:
        suite = plan.suite_of.get(attempt.behavior_id)
        if suite is None or attempt.error is not None:
            continue
        for metric in ROLE_METRICS[plan.role_of_suite[suite]]:
            found = metric_value(plan, metric, attempt, labels.get(attempt.id, {}))
            if found is None:
                continue
            scorer, value = found
            scorer_of.setdefault((suite, metric), scorer)
            if value is not None:
                outcomes.setdefault((suite, metric), {})[attempt.behavior_id] = value
    return outcomes, scorer_of, versions


def pooled(plan: StudyPlan, outcomes: dict[tuple[str, str], Outcomes]) -> dict[str, Outcomes]:
    """Headline metrics: each role's suites pooled."""
    result: dict[str, Outcomes] = {}
    for headline, (role, metric) in HEADLINES.items():
        merged: Outcomes = {}
        for (suite, name), values in outcomes.items():
            if name == metric and plan.role_of_suite[suite] == role:
                merged.update(values)
        if any(r == role for r in plan.role_of_suite.values()):
            result[headline] = merged
    return result


def _metric(
    values: Outcomes,
    *,
    suite: str,
    role: str,
    metric: str,
    run_id: str,
    scorer: str,
    version: str | None,
) -> MetricResult:
    events, n = sum(values.values()), len(values)
    interval = wilson_interval(events, n)
    return MetricResult(
        suite=suite,
        role=role,
        metric=metric,
        estimate=interval.estimate,
        low=interval.low,
        high=interval.high,
        confidence=interval.confidence,
        method=interval.method,
        n=n,
        events=events,
        run_id=run_id,
        scorer=scorer,
        scorer_version=version,
    )


def _by_subject(
    plan: StudyPlan, records: ArmRecords, outcomes: dict[tuple[str, str], Outcomes]
) -> dict[str, MetricResult]:
    """Accuracy per MMLU subject (from the ``subject:`` tag)."""
    subject_of = {
        a.behavior_id: t.removeprefix(_SUBJECT_TAG)
        for a in records.attempts
        for t in a.tags
        if t.startswith(_SUBJECT_TAG)
    }
    groups: dict[str, Outcomes] = {}
    for (_, metric), values in outcomes.items():
        if metric != "accuracy":
            continue
        for behavior_id, value in values.items():
            if behavior_id in subject_of:
                groups.setdefault(subject_of[behavior_id], {})[behavior_id] = value
    return {
        subject: _metric(
            values,
            suite=subject,
            role="capability",
            metric="accuracy",
            run_id=records.run_id,
            scorer=CAPABILITY_SCORERS["mmlu"],
            version=None,
        )
        for subject, values in sorted(groups.items())
    }


def arm_result(
    plan: StudyPlan, arm_name: str, records: ArmRecords, *, shared_with: list[str]
) -> tuple[ArmResult, dict[tuple[str, str], Outcomes]]:
    """An arm's metrics with intervals, and its outcomes for the paired comparisons."""
    arm_plan = next(a for a in plan.arms if a.arm.name == arm_name)
    outcomes, scorer_of, versions = arm_outcomes(plan, records)
    metrics = []
    for (suite, metric), values in sorted(outcomes.items()):
        scorer = scorer_of[(suite, metric)]
        metrics.append(
            _metric(
                values,
                suite=suite,
                role=plan.role_of_suite[suite],
                metric=metric,
                run_id=records.run_id,
                scorer=scorer,
                version=versions.get(scorer),
            )
        )
    keyed = {(suite, metric): values for (suite, metric), values in outcomes.items()}
    for headline, values in pooled(plan, outcomes).items():
        role, metric = HEADLINES[headline]
        scorers = sorted({s for (su, m), s in scorer_of.items() if m == metric})
        scorer = "+".join(scorers) or "-"
        metrics.append(
            _metric(
                values,
                suite=ALL_SUITES,
                role=role,
                metric=headline,
                run_id=records.run_id,
                scorer=scorer,
                version=None if len(scorers) != 1 else versions.get(scorers[0]),
            )
        )
        keyed[(ALL_SUITES, headline)] = values
    result = ArmResult(
        name=arm_name,
        settings=arm_plan.arm.model_dump(mode="json", exclude={"name"}, exclude_none=True),
        run_id=records.run_id,
        config_hash=arm_plan.config_hash,
        target=records.target,
        shared_run_with=shared_with,
        metrics=metrics,
        by_subject=_by_subject(plan, records, outcomes),
    )
    return result, keyed


def paired(
    a: Outcomes, b: Outcomes, *, seed: int
) -> tuple[int, float, float, float, float, float, int, int, float] | None:
    """On prompts both arms have: n, rate A, rate B, delta, its interval, only-A,
    only-B counts and the McNemar p-value; None without a common prompt."""
    common = sorted(set(a) & set(b))
    if not common:
        return None
    va = np.array([a[k] for k in common], dtype=float)
    vb = np.array([b[k] for k in common], dtype=float)
    only_a = int(((va == 1) & (vb == 0)).sum())
    only_b = int(((va == 0) & (vb == 1)).sum())
    diffs = vb - va
    interval = bootstrap_interval(diffs, seed=seed)
    return (
        len(common),
        float(va.mean()),
        float(vb.mean()),
        float(diffs.mean()),
        interval.low,
        interval.high,
        only_a,
        only_b,
        mcnemar_exact(only_a, only_b),
    )


def compare_arms(
    names: list[str], keyed: dict[str, dict[tuple[str, str], Outcomes]], *, alpha: float, seed: int
) -> list[PairedComparison]:
    """Every pair of arms on every (suite, metric) both measured, Holm-adjusted together."""
    rows = []
    for name_a, name_b in itertools.combinations(names, 2):
        for key in sorted(set(keyed[name_a]) & set(keyed[name_b])):
            found = paired(keyed[name_a][key], keyed[name_b][key], seed=seed)
            if found is None:
                continue
            n, rate_a, rate_b, delta, low, high, only_a, only_b, p = found
            rows.append(
                PairedComparison(
                    arm_a=name_a,
                    arm_b=name_b,
                    suite=key[0],
                    metric=key[1],
                    n_pairs=n,
                    rate_a=rate_a,
                    rate_b=rate_b,
                    delta=delta,
                    delta_low=low,
                    delta_high=high,
                    only_a=only_a,
                    only_b=only_b,
                    p_value=p,
                    p_holm=p,
                    significant=False,
                )
            )
    adjusted = holm_adjust([r.p_value for r in rows]) if rows else []
    return [
        r.model_copy(update={"p_holm": q, "significant": q <= alpha})
        for r, q in zip(rows, adjusted, strict=True)
    ]


def analyse_study(
    plan: StudyPlan, records: dict[str, ArmRecords], *, warnings: list[str] | None = None
) -> StudyResults:
    """The study's results from each arm's run records (keyed by arm name)."""
    names = [a.arm.name for a in plan.arms]
    by_hash: dict[str, list[str]] = {}
    for arm_plan in plan.arms:
        by_hash.setdefault(arm_plan.config_hash, []).append(arm_plan.arm.name)
    arms: list[ArmResult] = []
    keyed: dict[str, dict[tuple[str, str], Outcomes]] = {}
    for arm_plan in plan.arms:
        name = arm_plan.arm.name
        shared = [n for n in by_hash[arm_plan.config_hash] if n != name]
        result, keyed[name] = arm_result(plan, name, records[name], shared_with=shared)
        arms.append(result)
    study = plan.study
    comparisons = compare_arms(names, keyed, alpha=study.alpha, seed=study.seed)
    baseline = study.baseline_arm()
    suites = {
        label: {"role": role, "prompts": sum(1 for s in plan.suite_of.values() if s == label)}
        for label, role in plan.role_of_suite.items()
    }
    return StudyResults(
        study=study.name,
        prompts_file=str(plan.prompts_file),
        seed=study.seed,
        baseline=baseline,
        alpha=study.alpha,
        suites=suites,
        arms=arms,
        comparisons=comparisons,
        pareto=pareto_fronts(arms),
        safety_tax=safety_tax(arms, comparisons, baseline=baseline),
        warnings=[*plan.warnings, *(warnings or [])],
    )
