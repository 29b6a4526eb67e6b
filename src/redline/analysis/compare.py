"""Comparing two runs: per category and overall, did run B get worse than run A?

Two rates per group are compared: the attack success rate (harmful prompts fully
complied with) and the over-refusal rate (benign prompts refused). For both a
higher value is worse, and every difference is reported as ``B - A``.

Pairing. An outcome unit is one ``(behavior_id, attack, epoch)`` (with a reducer,
one ``(behavior_id, attack)``, its epochs reduced). Units labelled in both runs
are paired:

- test: exact McNemar on the discordant units (with the ``mean`` reducer, whose
  values are fractions, the sign test on units whose value changed: McNemar is
  that sign test when values are 0/1);
- interval: Newcombe's hybrid score interval for a difference of paired
  proportions (method 10 of Newcombe 1998, Stat Med 17:2635), which keeps good
  coverage at small n and at rates near 0 or 1; for ``mean``, a percentile
  bootstrap over the paired units.

A group where the runs share no units falls back to an unpaired comparison of
the two rates: Newcombe's hybrid score interval for independent proportions
(method 10 of Newcombe 1998, Stat Med 17:873) and Fisher's exact test (a
two-proportion z test for ``mean``, whose counts are fractional).

The p-values of the per-category comparisons (both metrics) form one family and
are Holm-adjusted; the overall rows are one test each and are not adjusted. A
comparison *regressed* when its adjusted p-value is at most ``alpha`` and B's
rate is higher; it *improved* when B's rate is lower.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, Field, computed_field

from redline.analysis.reducers import ReducerName, check_reducer, reduce_events
from redline.analysis.summary import labels_by_attempt
from redline.core.errors import ConfigError
from redline.core.outcome import Outcome, is_refusal, outcome_of, speaks_refusal
from redline.core.records import Attempt, RunInfo, Score
from redline.data.taxonomy import category_sort_key
from redline.scoring import registered_positive_labels
from redline.stats import (
    Interval,
    bootstrap_interval,
    holm_adjust,
    mcnemar_exact,
    wilson_interval,
    z_value,
)
from redline.stats.intervals import wilson_bounds

Metric = Literal["attack_success", "over_refusal"]
METRICS: tuple[Metric, ...] = ("attack_success", "over_refusal")
METRIC_TITLES = {"attack_success": "attack success", "over_refusal": "over-refusal"}
COMPARISON_SCHEMA_VERSION = 1

UnitKey = tuple[str, ...]


class StoredRun(Protocol):
    """What :func:`compare_runs` reads from a run (a :class:`redline.store.RunHandle` is one)."""

    @property
    def info(self) -> RunInfo: ...

    def read_attempts(self) -> list[Attempt]: ...

    def read_scores(self) -> list[Score]: ...


class MetricComparison(BaseModel):
    """One metric of one group (a category, or ``all``) compared between runs A and B.

    ``rate_a`` and ``rate_b`` are over the units compared: the shared units when
    ``paired``, every labelled unit of each run otherwise. ``only_a`` counts
    units where only A had the event (B better), ``only_b`` where only B had it
    (B worse); with the ``mean`` reducer they count units whose value went down
    or up.
    """

    group: str
    metric: Metric
    paired: bool
    units_a: int
    units_b: int
    shared: int
    rate_a: Interval
    rate_b: Interval
    difference: Interval | None = None
    both: int | None = None
    only_a: int | None = None
    only_b: int | None = None
    neither: int | None = None
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    regressed: bool = False
    improved: bool = False
    note: str | None = None

    @property
    def title(self) -> str:
        where = "overall" if self.group == "all" else self.group
        return f"{where} {METRIC_TITLES[self.metric]}"


class Comparison(BaseModel):
    """Run B against run A: overall and per-category comparisons of both metrics."""

    schema_version: int = COMPARISON_SCHEMA_VERSION
    run_a: str
    run_b: str
    scorer: str
    reducer: str | None = None
    confidence: float = 0.95
    alpha: float = 0.05
    pairing: str
    units_a: int
    units_b: int
    shared_units: int
    notes: list[str] = Field(default_factory=list)
    overall: list[MetricComparison]
    by_category: list[MetricComparison]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def paired(self) -> bool:
        return self.shared_units > 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def regressions(self) -> list[str]:
        """Titles of the comparisons that regressed significantly (overall first)."""
        return [c.title for c in [*self.overall, *self.by_category] if c.regressed]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def improvements(self) -> list[str]:
        return [c.title for c in [*self.overall, *self.by_category] if c.improved]


def paired_difference_interval(
    *, both: int, only_a: int, only_b: int, neither: int, confidence: float = 0.95
) -> Interval:
    """Newcombe's hybrid score interval (method 10) for ``rate_b - rate_a`` on paired units.

    ``both`` units had the event in both runs, ``only_a`` only in A, ``only_b``
    only in B, ``neither`` in none. Zero units give the interval [-1, 1].
    """
    n = both + only_a + only_b + neither
    if n == 0:
        return _no_difference(confidence, "newcombe-paired")
    z = z_value(confidence)
    p1, p2 = (both + only_b) / n, (both + only_a) / n
    l1, u1 = wilson_bounds(float(both + only_b), float(n), z)
    l2, u2 = wilson_bounds(float(both + only_a), float(n), z)
    marginals = (both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither)
    # Newcombe's phi estimate: a positive correlation is shrunk by n/2 (his
    # continuity correction of phi, part of method 10), a negative one is not.
    cross = float(both * neither - only_a * only_b)
    if cross > 0:
        cross = max(cross - n / 2.0, 0.0)
    phi = cross / math.sqrt(marginals) if marginals > 0 else 0.0
    theta = p1 - p2
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    epsilon = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return Interval(
        estimate=theta,
        low=max(-1.0, theta - delta),
        high=min(1.0, theta + epsilon),
        confidence=confidence,
        method="newcombe-paired",
    )


def unpaired_difference_interval(
    events_a: float, n_a: float, events_b: float, n_b: float, *, confidence: float = 0.95
) -> Interval:
    """Newcombe's hybrid score interval (method 10) for ``rate_b - rate_a``, independent samples.

    Counts may be fractional (reduced by ``mean``). An empty side gives [-1, 1].
    """
    if n_a <= 0 or n_b <= 0:
        return _no_difference(confidence, "newcombe")
    z = z_value(confidence)
    p1, p2 = events_b / n_b, events_a / n_a
    l1, u1 = wilson_bounds(events_b, n_b, z)
    l2, u2 = wilson_bounds(events_a, n_a, z)
    theta = p1 - p2
    return Interval(
        estimate=theta,
        low=max(-1.0, theta - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
        high=min(1.0, theta + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)),
        confidence=confidence,
        method="newcombe",
    )


def _no_difference(confidence: float, method: str) -> Interval:
    return Interval(estimate=None, low=-1.0, high=1.0, confidence=confidence, method=method)


def _unit_outcomes(
    attempts: Iterable[Attempt],
    scores: Sequence[Score],
    *,
    scorer: str,
    reducer: ReducerName | None,
) -> dict[tuple[str, Metric], dict[UnitKey, float]]:
    """``(category, metric) -> unit -> outcome`` for every labelled attempt of a run.

    Errored, unlabelled and otherwise-labelled attempts have no outcome.
    """
    by_attempt = labels_by_attempt(scores, scorer=scorer)
    positives = registered_positive_labels(scorer)
    cells: dict[tuple[str, Metric], dict[UnitKey, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for attempt in attempts:
        score = by_attempt.get(attempt.id)
        if attempt.error is not None or score is None:
            continue
        harmful = attempt.expected == "refuse"
        outcome = outcome_of(score.label, positives)
        # Attack success: any scorer's success labels; over-refusal: refusal scorers only.
        if outcome is Outcome.NOT_APPLICABLE or (not harmful and not speaks_refusal(score.label)):
            continue
        metric: Metric = "attack_success" if harmful else "over_refusal"
        event = outcome is Outcome.SUCCESS if harmful else is_refusal(score.label)
        key: UnitKey = (attempt.behavior_id, attempt.attack)
        if reducer is None:
            key = (*key, str(attempt.epoch))
        cell = cells[(attempt.category, metric)][key]
        cell[0] += event
        cell[1] += 1
    outcomes: dict[tuple[str, Metric], dict[UnitKey, float]] = {}
    for group, units in cells.items():
        outcomes[group] = {
            # Without a reducer each unit is one attempt, whose cell is 0/1 of 1.
            key: reduce_events(e, t, reducer) if reducer is not None else float(e)
            for key, (e, t) in units.items()
        }
    return outcomes


def _rate(values: Sequence[float], *, confidence: float) -> Interval:
    n = len(values)
    total = float(sum(values))
    if n and total != round(total):
        low, high = wilson_bounds(total, float(n), z_value(confidence))
        return Interval(
            estimate=total / n, low=low, high=high, confidence=confidence, method="wilson-mean"
        )
    return wilson_interval(round(total), n, confidence=confidence)


def _compare_paired(
    base: MetricComparison,
    a: dict[UnitKey, float],
    b: dict[UnitKey, float],
    shared: list[UnitKey],
    *,
    fractional: bool,
    confidence: float,
) -> MetricComparison:
    va = np.array([a[k] for k in shared], dtype=float)
    vb = np.array([b[k] for k in shared], dtype=float)
    only_a = int(np.sum(va > vb))
    only_b = int(np.sum(vb > va))
    update: dict[str, object] = {
        "paired": True,
        "rate_a": _rate(list(va), confidence=confidence),
        "rate_b": _rate(list(vb), confidence=confidence),
        "only_a": only_a,
        "only_b": only_b,
        "p_value": mcnemar_exact(only_a, only_b),
    }
    if fractional:
        diffs = vb - va
        update["test"] = "sign-test"
        update["difference"] = (
            bootstrap_interval(diffs, confidence=confidence, seed=0).model_copy(
                update={"method": "bootstrap-paired"}
            )
            if np.any(diffs != 0)
            else Interval(
                estimate=0.0, low=0.0, high=0.0, confidence=confidence, method="bootstrap-paired"
            )
        )
    else:
        both = int(np.sum((va == 1) & (vb == 1)))
        neither = len(shared) - both - only_a - only_b
        update.update(both=both, neither=neither, test="mcnemar-exact")
        update["difference"] = paired_difference_interval(
            both=both, only_a=only_a, only_b=only_b, neither=neither, confidence=confidence
        )
    return base.model_copy(update=update)


def _compare_unpaired(
    base: MetricComparison,
    a: dict[UnitKey, float],
    b: dict[UnitKey, float],
    *,
    fractional: bool,
    confidence: float,
) -> MetricComparison:
    ka, na = float(sum(a.values())), len(a)
    kb, nb = float(sum(b.values())), len(b)
    update: dict[str, object] = {
        "paired": False,
        "rate_a": _rate(list(a.values()), confidence=confidence),
        "rate_b": _rate(list(b.values()), confidence=confidence),
    }
    if na == 0 or nb == 0:
        missing = "A" if na == 0 else "B"
        update["note"] = f"no labelled units in run {missing}: nothing to compare"
        return base.model_copy(update=update)
    update["difference"] = unpaired_difference_interval(ka, na, kb, nb, confidence=confidence)
    update["note"] = "no shared behaviours: unpaired comparison"
    if fractional:
        update["test"] = "z-test"
        update["p_value"] = _two_proportion_z(ka, na, kb, nb)
    else:
        from scipy import stats as scipy_stats  # lazily: every scan imports this module

        table = [[round(kb), nb - round(kb)], [round(ka), na - round(ka)]]
        update["test"] = "fisher-exact"
        update["p_value"] = float(scipy_stats.fisher_exact(table).pvalue)
    return base.model_copy(update=update)


def _two_proportion_z(ka: float, na: int, kb: float, nb: int) -> float:
    pooled = (ka + kb) / (na + nb)
    variance = pooled * (1 - pooled) * (1 / na + 1 / nb)
    if variance <= 0:
        return 1.0
    z = (kb / nb - ka / na) / math.sqrt(variance)
    return float(min(1.0, math.erfc(abs(z) / math.sqrt(2))))


def _compare_group(
    group: str,
    metric: Metric,
    a: dict[UnitKey, float],
    b: dict[UnitKey, float],
    *,
    fractional: bool,
    confidence: float,
) -> MetricComparison:
    shared = sorted(a.keys() & b.keys())
    base = MetricComparison(
        group=group,
        metric=metric,
        paired=bool(shared),
        units_a=len(a),
        units_b=len(b),
        shared=len(shared),
        rate_a=wilson_interval(0, 0, confidence=confidence),
        rate_b=wilson_interval(0, 0, confidence=confidence),
    )
    if shared:
        return _compare_paired(base, a, b, shared, fractional=fractional, confidence=confidence)
    return _compare_unpaired(base, a, b, fractional=fractional, confidence=confidence)


def _decide(comparison: MetricComparison, *, alpha: float) -> MetricComparison:
    p = comparison.p_adjusted
    estimate = comparison.difference.estimate if comparison.difference is not None else None
    significant = p is not None and p <= alpha and estimate is not None
    return comparison.model_copy(
        update={
            "regressed": significant and estimate is not None and estimate > 0,
            "improved": significant and estimate is not None and estimate < 0,
        }
    )


def compare_runs(
    run_a: StoredRun,
    run_b: StoredRun,
    *,
    scorer: str = "refusal",
    reducer: str | None = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> Comparison:
    """Compare run B against run A (the baseline) by the labels ``scorer`` gave.

    Per category and overall, for attack success and over-refusal: the
    difference ``B - A`` with its interval and a test (paired when the runs
    share units, unpaired otherwise), Holm-adjusted across categories.
    """
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be strictly between 0 and 1, got {alpha}")
    reducer_name = check_reducer(reducer)
    fractional = reducer_name == "mean"
    sides = []
    for run in (run_a, run_b):
        sides.append(
            _unit_outcomes(
                run.read_attempts(), run.read_scores(), scorer=scorer, reducer=reducer_name
            )
        )
    a_groups, b_groups = sides
    if not any(a_groups.values()) and not any(b_groups.values()):
        raise ConfigError(
            f"neither run {run_a.info.id} nor {run_b.info.id} has attempts labelled by scorer "
            f"{scorer!r} (score them first, or pick another --scorer)"
        )

    def merged(
        groups: dict[tuple[str, Metric], dict[UnitKey, float]], metric: Metric
    ) -> dict[UnitKey, float]:
        # A unit's key does not include its category, so overall merges cleanly.
        out: dict[UnitKey, float] = {}
        for (_, m), units in groups.items():
            if m == metric:
                out.update(units)
        return out

    overall = []
    for metric in METRICS:
        a, b = merged(a_groups, metric), merged(b_groups, metric)
        if a or b:
            row = _compare_group("all", metric, a, b, fractional=fractional, confidence=confidence)
            overall.append(row.model_copy(update={"p_adjusted": row.p_value}))
    by_category = [
        _compare_group(
            category,
            metric,
            a_groups.get((category, metric), {}),
            b_groups.get((category, metric), {}),
            fractional=fractional,
            confidence=confidence,
        )
        for category, metric in sorted(
            a_groups.keys() | b_groups.keys(), key=lambda key: (category_sort_key(key[0]), key[1])
        )
    ]
    tested = [i for i, c in enumerate(by_category) if c.p_value is not None]
    adjusted = holm_adjust([by_category[i].p_value for i in tested])  # type: ignore[misc]
    for i, p in zip(tested, adjusted, strict=True):
        by_category[i] = by_category[i].model_copy(update={"p_adjusted": p})
    units_a = {k for units in a_groups.values() for k in units}
    units_b = {k for units in b_groups.values() for k in units}
    shared_units = len(units_a & units_b)
    notes = []
    if shared_units == 0:
        notes.append(
            "the runs share no behaviours (paired by behavior_id + attack"
            + ("" if reducer_name else " + epoch")
            + "): every result below is unpaired"
        )
    else:
        unpaired = sorted({c.group for c in by_category if not c.paired and c.note})
        if unpaired:
            notes.append(
                "categories with no shared behaviours, compared unpaired: " + ", ".join(unpaired)
            )
        if len(units_a) > shared_units or len(units_b) > shared_units:
            notes.append(
                f"paired rows use the {shared_units} shared units; "
                f"{len(units_a) - shared_units} units only in A and "
                f"{len(units_b) - shared_units} only in B are left out of them"
            )
    return Comparison(
        run_a=run_a.info.id,
        run_b=run_b.info.id,
        scorer=scorer,
        reducer=reducer_name,
        confidence=confidence,
        alpha=alpha,
        pairing="behavior_id+attack" if reducer_name else "behavior_id+attack+epoch",
        units_a=len(units_a),
        units_b=len(units_b),
        shared_units=shared_units,
        notes=notes,
        overall=[_decide(c, alpha=alpha) for c in overall],
        by_category=[_decide(c, alpha=alpha) for c in by_category],
    )


def judge_at(comparison: Comparison, *, alpha: float) -> Comparison:
    """The same comparison with regressions and improvements decided at another ``alpha``."""
    return comparison.model_copy(
        update={
            "alpha": alpha,
            "overall": [_decide(c, alpha=alpha) for c in comparison.overall],
            "by_category": [_decide(c, alpha=alpha) for c in comparison.by_category],
        }
    )
