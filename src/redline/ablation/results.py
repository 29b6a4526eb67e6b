"""The results file of a study (``results.json``): the schema other tools cite.

Documented in docs/ablation.md. Every figure says which run measured it, with
which scorer, on how many prompts, with its interval, so a model card can cite
it (``arms[].metrics[]``). ``SCHEMA_VERSION`` changes when a field changes meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from redline.core import utc_now

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"
# Headline metrics pool every suite of a role; their ``suite`` is this.
ALL_SUITES = "all"


class MetricResult(BaseModel):
    """One rate of one arm on one suite (or pooled over a role's suites)."""

    suite: str
    role: str
    metric: str
    estimate: float | None
    low: float
    high: float
    confidence: float
    method: str
    n: int
    events: int
    run_id: str
    scorer: str
    scorer_version: str | None = None


class ArmResult(BaseModel):
    """An arm: what it changed, the run that measured it, and its metrics."""

    name: str
    settings: dict[str, Any]
    run_id: str
    config_hash: str
    target: str
    shared_run_with: list[str] = Field(default_factory=list)
    metrics: list[MetricResult]
    by_subject: dict[str, MetricResult] = Field(default_factory=dict)

    def metric(self, metric: str, suite: str = ALL_SUITES) -> MetricResult | None:
        """The arm's ``metric`` on ``suite`` (the pooled headline by default)."""
        for item in self.metrics:
            if item.metric == metric and item.suite == suite:
                return item
        return None


class PairedComparison(BaseModel):
    """Arm B against arm A on the same prompts: the change, its interval and tests."""

    arm_a: str
    arm_b: str
    suite: str
    metric: str
    n_pairs: int
    rate_a: float
    rate_b: float
    delta: float
    delta_low: float
    delta_high: float
    only_a: int
    only_b: int
    p_value: float
    p_holm: float
    significant: bool
    test: str = "mcnemar-exact"
    interval_method: str = "paired-bootstrap-percentile"


class SafetyTaxRow(BaseModel):
    """What an arm gains in harmlessness and pays in capability and over-refusal,
    against the baseline (differences in rate, B - baseline)."""

    arm: str
    harmlessness_delta: float | None
    capability_delta: float | None
    over_refusal_delta: float | None
    # Capability points lost per harmlessness point gained; None when no gain.
    capability_cost_per_point: float | None
    significant: list[str] = Field(default_factory=list)


class StudyResults(BaseModel):
    """Everything ``redline ablate`` measured, as written to ``results.json``."""

    schema_version: int = SCHEMA_VERSION
    study: str
    created_at: str = Field(default_factory=utc_now)
    prompts_file: str
    seed: int
    baseline: str
    alpha: float
    suites: dict[str, dict[str, Any]]
    arms: list[ArmResult]
    comparisons: list[PairedComparison]
    pareto: dict[str, list[str]]
    safety_tax: list[SafetyTaxRow]
    warnings: list[str] = Field(default_factory=list)

    def arm(self, name: str) -> ArmResult:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(name)

    def write(self, folder: Path) -> Path:
        """Write ``results.json`` into ``folder`` (atomically) and return its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / RESULTS_FILE
        partial = path.with_suffix(".partial")
        partial.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        partial.replace(path)
        return path


def read_results(path: Path) -> StudyResults:
    """A study's results from its ``results.json`` (or the folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    return StudyResults.model_validate_json(path.read_text(encoding="utf-8"))
