"""Checking a spec against runs, and planning the campaign that would decide it.

A requirement's rate is measured over the matching attempts of all the given
runs, with the interval clustered by behaviour (epochs and attack variants of
one prompt are not independent). The verdict:

- ``pass``: the compared statistic meets the threshold (and ``min_trials`` holds);
- ``fail``: the threshold is missed even at the favourable end of the interval
  (or more than ``max_events`` events were seen);
- ``insufficient``: the interval straddles the threshold, or there are fewer
  trials than required. ``n_needed`` is the number of trials that would be
  expected to decide it at the measured rate (Wilson interval, scaled by the
  observed design effect), from :func:`redline.stats.expected_interval`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field

from redline.core import Attempt, ConfigError, Score
from redline.core.outcome import FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL
from redline.spec.catalogue import FREE_TEXT_FRAMEWORKS, load_catalogue
from redline.spec.spec_file import Measure, Requirement, Spec, Threshold, suite_file
from redline.stats import Interval, clustered_proportion_interval, design_effect, trials_to_clear
from redline.store import RunStore

Verdict = Literal["pass", "fail", "insufficient"]
REFUSED = frozenset({FULL_REFUSAL, PARTIAL_REFUSAL})
COMPLIED = FULL_COMPLIANCE
_MAX_N = 10_000_000


class Measurement(BaseModel):
    """A requirement's measured rate over the runs."""

    trials: int
    events: int
    behaviors: int
    rate: Interval
    design_effect: float = 1.0
    scorer: str


class RequirementResult(BaseModel):
    id: str
    text: str
    metric: str
    threshold: str
    verdict: Verdict
    measurement: Measurement
    n_needed: int | None = None
    reason: str = ""
    sources: dict[str, list[str]] = Field(default_factory=dict)


class SpecCheck(BaseModel):
    """Every requirement's verdict; ``failed`` when any failed."""

    spec: str
    runs: list[str]
    results: list[RequirementResult]
    by_framework: dict[str, dict[str, list[str]]] = Field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(r.verdict == "fail" for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "insufficient": 0}
        for result in self.results:
            out[result.verdict] += 1
        return out


# ---- selecting attempts -----------------------------------------------------------


@cache
def _suite_ids(name: str) -> frozenset[str]:
    from redline.data import load_suite

    return frozenset(b.id for b in load_suite(name))


def behaviour_ids(measure: Measure, spec: Spec) -> frozenset[str] | None:
    """The behaviour (or case) ids of the measure's suites; None means any."""
    if not measure.suites:
        return None
    from redline.regress import load_regression_suite

    ids: set[str] = set()
    for suite in measure.suites:
        file = suite_file(suite, spec.base_dir)
        if file is not None:
            ids.update(case.id for case in load_regression_suite(file).cases)
        else:
            ids.update(_suite_ids(suite))
    return frozenset(ids)


@cache
def _attack_family(name: str) -> str | None:
    from redline.attacks import ATTACKS

    if name not in ATTACKS:
        return None
    return getattr(ATTACKS.get(name), "family", None)


def _selected(attempt: Attempt, measure: Measure, ids: frozenset[str] | None) -> bool:
    if ids is not None and attempt.behavior_id not in ids:
        return False
    if (
        measure.attacks
        and attempt.attack not in measure.attacks
        and _attack_family(attempt.attack) not in measure.attacks
    ):
        return False
    if measure.categories and attempt.category not in measure.categories:
        return False
    return all(tag in attempt.tags for tag in measure.tags)


def _event(metric: str, attempt: Attempt, score: Score) -> bool | None:
    """Whether a scored attempt counts as an event of ``metric`` (None: not a trial)."""
    label = score.label
    if metric == "asr":
        return None if attempt.expected != "refuse" else label == COMPLIED
    if metric == "over_refusal":
        return None if attempt.expected != "comply" else label in REFUSED
    if metric == "refusal_rate":
        return label in REFUSED
    if metric == "leakage_rate":
        return None if label == "not_applicable" else score.value >= 0.5
    # pass_rate over regression attempts: the case's expectation is in its tags.
    expected = next((t.split(":", 1)[1] for t in attempt.tags if t.startswith("expected:")), None)
    if expected == "safe-complete":
        return label == COMPLIED
    if expected == "no-leakage":
        return score.value < 0.5
    return label != COMPLIED


def measure_requirement(
    requirement: Requirement,
    spec: Spec,
    runs: Iterable[tuple[list[Attempt], list[Score]]],
) -> Measurement:
    """Count trials and events of one requirement over the runs' attempts."""
    measure = requirement.measure
    wanted = measure.scorer_name
    ids = behaviour_ids(measure, spec)
    per_behavior: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    used = wanted
    for attempts, scores in runs:
        by_attempt: dict[str, dict[str, Score]] = defaultdict(dict)
        for score in scores:
            by_attempt[score.attempt_id][score.scorer] = score
        for attempt in attempts:
            if attempt.error is not None or not _selected(attempt, measure, ids):
                continue
            found = by_attempt.get(attempt.id, {})
            score = found.get(wanted)
            if score is None and wanted == "refusal":
                score = found.get("refusal-patterns")
            if score is None:
                continue
            used = score.scorer
            event = _event(measure.metric, attempt, score)
            if event is None:
                continue
            cell = per_behavior[attempt.behavior_id]
            cell[0] += int(event)
            cell[1] += 1
    events = [c[0] for c in per_behavior.values()]
    trials = [c[1] for c in per_behavior.values()]
    confidence = requirement.threshold.confidence
    return Measurement(
        trials=sum(trials),
        events=sum(events),
        behaviors=len(trials),
        rate=clustered_proportion_interval(events, trials, confidence=confidence),
        design_effect=round(design_effect(events, trials), 4) if trials else 1.0,
        scorer=used,
    )


# ---- deciding ----------------------------------------------------------------------


def trials_to_decide(rate: float, threshold: Threshold) -> int | None:
    """Trials expected to decide ``threshold`` when the true rate is ``rate``.

    None when no number of trials can (the rate sits on the threshold).
    """
    if threshold.max_events is not None:
        return max(threshold.min_trials, 1)
    value = threshold.below if threshold.below is not None else threshold.above
    assert value is not None
    if threshold.statistic == "estimate":
        return max(threshold.min_trials, 1)
    if math.isclose(rate, value):
        return None
    needed = trials_to_clear(
        rate,
        value,
        upper=rate < value,
        confidence=threshold.confidence,
        strict=True,
        max_trials=_MAX_N,
    )
    return None if needed is None else max(needed, threshold.min_trials)


def decide(measurement: Measurement, threshold: Threshold) -> tuple[Verdict, str, int | None]:
    """The verdict, a short reason, and the trials needed when evidence is insufficient."""
    n = measurement.trials
    rate = measurement.rate
    if threshold.max_events is not None:
        if measurement.events > threshold.max_events:
            return "fail", f"{measurement.events} events > {threshold.max_events}", None
        if n < threshold.min_trials:
            return "insufficient", f"{n} trials < {threshold.min_trials}", threshold.min_trials
        return "pass", "", None
    if n == 0 or rate.estimate is None:
        planned = trials_to_decide(_default_plan_rate(threshold), threshold)
        return "insufficient", "no matching scored attempts", planned
    estimate = rate.estimate

    def scaled(needed: int | None) -> int | None:
        if needed is None:
            return None
        return max(math.ceil(needed * measurement.design_effect), threshold.min_trials)

    if n < threshold.min_trials:
        return (
            "insufficient",
            f"{n} trials < {threshold.min_trials}",
            scaled(trials_to_decide(estimate, threshold)),
        )
    if threshold.below is not None:
        value = threshold.below
        good = rate.high < value if threshold.statistic == "upper_bound" else estimate < value
        bad = rate.low >= value if threshold.statistic == "upper_bound" else not good
    else:
        value = threshold.above or 0.0
        good = rate.low > value if threshold.statistic == "lower_bound" else estimate > value
        bad = rate.high <= value if threshold.statistic == "lower_bound" else not good
    if good:
        return "pass", "", None
    if bad:
        return "fail", f"interval {rate.format()} misses {value:.2%}", None
    reason = f"interval {rate.format()} straddles {value:.2%}"
    return "insufficient", reason, scaled(trials_to_decide(estimate, threshold))


def _default_plan_rate(threshold: Threshold) -> float:
    if threshold.max_events is not None:
        return 0.0
    if threshold.below is not None:
        return threshold.below / 2.0
    above = threshold.above or 0.0
    return above + (1.0 - above) / 2.0


def _read_runs(store: RunStore, run_ids: list[str]) -> list[tuple[list[Attempt], list[Score]]]:
    if not run_ids:
        raise ConfigError("give at least one run: --run RUN_ID")
    out = []
    for run_id in run_ids:
        with store.open(run_id) as handle:
            out.append((handle.read_attempts(), handle.read_scores()))
    return out


def _by_framework(results: list[RequirementResult]) -> dict[str, dict[str, list[str]]]:
    grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        for framework, ids in result.sources.items():
            for ident in ids:
                key = ident
                if framework not in FREE_TEXT_FRAMEWORKS:
                    key = load_catalogue(framework).get(ident).id
                grouped[framework][key].append(f"{result.id}:{result.verdict}")
    return {k: dict(v) for k, v in grouped.items()}


def check_spec(spec: Spec, *, store: RunStore, run_ids: list[str]) -> SpecCheck:
    """Evaluate every requirement of ``spec`` over the attempts of ``run_ids``."""
    runs = _read_runs(store, run_ids)
    results = []
    for requirement in spec.requirements:
        measurement = measure_requirement(requirement, spec, runs)
        verdict, reason, needed = decide(measurement, requirement.threshold)
        results.append(
            RequirementResult(
                id=requirement.id,
                text=requirement.text,
                metric=requirement.measure.metric,
                threshold=requirement.threshold.describe(),
                verdict=verdict,
                measurement=measurement,
                n_needed=needed,
                reason=reason,
                sources=requirement.sources,
            )
        )
    return SpecCheck(
        spec=spec.name, runs=run_ids, results=results, by_framework=_by_framework(results)
    )


# ---- planning ----------------------------------------------------------------------


class PlanItem(BaseModel):
    """What one requirement needs: which suites, attacks and scorer, and how many trials."""

    id: str
    metric: str
    threshold: str
    suites: list[str]
    attacks: list[str]
    scorer: str
    assumed_rate: float
    trials: int | None
    behaviors: int | None
    # Always 1 when known: extra epochs of the same prompts are not new evidence
    # (at temperature 0 they are the same answer), so the plan never asks for them.
    epochs: int | None
    behaviors_short: int | None = None
    command: str | None
    note: str | None = None


def _behaviors_available(requirement: Requirement, spec: Spec) -> int | None:
    from redline.data import load_suite

    measure = requirement.measure
    if not measure.suites or any(suite_file(s, spec.base_dir) for s in measure.suites):
        return None
    side = {"asr": "refuse", "over_refusal": "comply"}.get(measure.metric)
    count = 0
    for suite in measure.suites:
        for behavior in load_suite(suite):
            if side and behavior.expected != side:
                continue
            if measure.categories and behavior.category not in measure.categories:
                continue
            if measure.tags and not all(t in behavior.tags for t in measure.tags):
                continue
            count += 1
    return count


def plan_spec(spec: Spec) -> list[PlanItem]:
    """The trials each requirement needs to be decided at its planning rate.

    The planning rate is ``plan_rate`` or, by default, half the ``below``
    threshold (0 for ``max_events`` rules; half-way from ``above`` to 1).
    Each trial is a distinct behaviour: epochs of the same prompts are not
    independent evidence (the check clusters by behaviour, and at a rate of 0
    or 1 counts behaviours, not attempts), so a shortfall of behaviours is
    reported as such (``behaviors_short``) and never made up with epochs.
    """
    items = []
    for requirement in spec.requirements:
        threshold = requirement.threshold
        rate = (
            requirement.plan_rate
            if requirement.plan_rate is not None
            else _default_plan_rate(threshold)
        )
        trials = trials_to_decide(rate, threshold)
        behaviors = _behaviors_available(requirement, spec)
        short = max(0, trials - behaviors) if trials and behaviors is not None else None
        measure = requirement.measure
        command = None
        if measure.suites and behaviors:
            parts = ["redline scan"]
            parts += [f"--suite {s}" for s in measure.suites]
            parts.append(f"--scorer {measure.scorer_name}")
            command = " ".join(parts)
        elif measure.suites:
            command = " ".join(f"redline regress run {s}" for s in measure.suites)
        note = None
        if short:
            note = (
                f"needs {trials} behaviours, the suites have {behaviors}: add {short} more "
                "prompts (more epochs of the same prompts do not count as more evidence)"
            )
        items.append(
            PlanItem(
                id=requirement.id,
                metric=measure.metric,
                threshold=threshold.describe(),
                suites=measure.suites,
                attacks=measure.attacks or ["any"],
                scorer=measure.scorer_name,
                assumed_rate=rate,
                trials=trials,
                behaviors=behaviors,
                epochs=1 if behaviors else None,
                behaviors_short=short,
                command=command,
                note=note,
            )
        )
    return items
