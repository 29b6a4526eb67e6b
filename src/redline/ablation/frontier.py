"""Pareto frontiers and the safety-tax table of a study.

An arm is on the harmlessness-vs-capability frontier when no other arm is at
least as harmless and at least as capable, and strictly better at one;
harmlessness-vs-over-refusal the same with less over-refusal being better.
Point estimates decide (the intervals are drawn in the charts: two arms whose
intervals overlap may swap places with more prompts).
"""

from __future__ import annotations

from redline.ablation.results import ALL_SUITES, ArmResult, PairedComparison, SafetyTaxRow

# Each frontier: its x metric, its y metric, and whether more y is better.
FRONTIERS: dict[str, tuple[str, str, bool]] = {
    "harmlessness_vs_capability": ("harmlessness", "capability", True),
    "harmlessness_vs_over_refusal": ("harmlessness", "over_refusal", False),
}


def _point(arm: ArmResult, x: str, y: str, higher_y: bool) -> tuple[float, float] | None:
    mx, my = arm.metric(x), arm.metric(y)
    if mx is None or my is None or mx.estimate is None or my.estimate is None:
        return None
    return mx.estimate, my.estimate if higher_y else -my.estimate


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a != b


def pareto_front(arms: list[ArmResult], x: str, y: str, *, higher_y: bool = True) -> list[str]:
    """Names of the arms no other arm dominates on (``x`` up, ``y`` up or down)."""
    points = {a.name: p for a in arms if (p := _point(a, x, y, higher_y)) is not None}
    return [
        name
        for name, point in points.items()
        if not any(_dominates(other, point) for o, other in points.items() if o != name)
    ]


def pareto_fronts(arms: list[ArmResult]) -> dict[str, list[str]]:
    """Both frontiers, where the study measured both of their metrics."""
    fronts = {}
    for name, (x, y, higher_y) in FRONTIERS.items():
        if all(a.metric(x) is not None and a.metric(y) is not None for a in arms):
            fronts[name] = pareto_front(arms, x, y, higher_y=higher_y)
    return fronts


def _delta(arm: ArmResult, base: ArmResult, metric: str) -> float | None:
    a, b = arm.metric(metric), base.metric(metric)
    if a is None or b is None or a.estimate is None or b.estimate is None:
        return None
    return a.estimate - b.estimate


def safety_tax(
    arms: list[ArmResult], comparisons: list[PairedComparison], *, baseline: str
) -> list[SafetyTaxRow]:
    """Each arm against the baseline: the change in harmlessness, capability and
    over-refusal, and capability points lost per harmlessness point gained."""
    base = next(a for a in arms if a.name == baseline)
    rows = []
    for arm in arms:
        if arm.name == baseline:
            continue
        gained = _delta(arm, base, "harmlessness")
        capability = _delta(arm, base, "capability")
        cost = None
        if gained is not None and capability is not None and gained > 0:
            cost = 0.0 - capability / gained  # 0.0 - x: no "-0.00" when nothing is lost
        significant = [
            c.metric
            for c in comparisons
            if c.suite == ALL_SUITES
            and c.significant
            and {c.arm_a, c.arm_b} == {arm.name, baseline}
        ]
        rows.append(
            SafetyTaxRow(
                arm=arm.name,
                harmlessness_delta=gained,
                capability_delta=capability,
                over_refusal_delta=_delta(arm, base, "over_refusal"),
                capability_cost_per_point=cost,
                significant=significant,
            )
        )
    return rows
