"""Pareto frontiers and the safety tax from arm results."""

from __future__ import annotations

from redline.ablation import ArmResult, MetricResult, pareto_front, safety_tax


def _arm(name: str, harmless: float, capability: float, over: float) -> ArmResult:
    def metric(metric: str, value: float) -> MetricResult:
        return MetricResult(
            suite="all",
            role="x",
            metric=metric,
            estimate=value,
            low=0.0,
            high=1.0,
            confidence=0.95,
            method="wilson",
            n=10,
            events=int(value * 10),
            run_id=name,
            scorer="s",
        )

    return ArmResult(
        name=name,
        settings={},
        run_id=name,
        config_hash=name,
        target="t",
        metrics=[
            metric("harmlessness", harmless),
            metric("capability", capability),
            metric("over_refusal", over),
        ],
    )


ARMS = [
    _arm("base", 0.2, 0.6, 0.0),
    _arm("prompt", 0.6, 0.5, 0.1),
    _arm("guard", 0.9, 0.4, 0.3),
    _arm("worse", 0.5, 0.4, 0.4),  # dominated by 'prompt' on both frontiers
]


def test_pareto_front_keeps_non_dominated_arms() -> None:
    assert pareto_front(ARMS, "harmlessness", "capability") == ["base", "prompt", "guard"]
    front = pareto_front(ARMS, "harmlessness", "over_refusal", higher_y=False)
    assert front == ["base", "prompt", "guard"]


def test_safety_tax_is_capability_lost_per_point_of_harmlessness() -> None:
    rows = {r.arm: r for r in safety_tax(ARMS, [], baseline="base")}
    assert set(rows) == {"prompt", "guard", "worse"}
    guard = rows["guard"]
    assert round(guard.harmlessness_delta or 0, 6) == 0.7
    assert round(guard.capability_delta or 0, 6) == -0.2
    assert round(guard.capability_cost_per_point or 0, 6) == round(0.2 / 0.7, 6)
    no_gain = safety_tax([ARMS[1], ARMS[0]], [], baseline="prompt")[0]
    assert no_gain.capability_cost_per_point is None
