"""Ablation studies: which intervention buys how much safety, at what cost.

A study (``redline ablate study.yaml``) runs arms -- system prompts and defensive
instructions, a guard in front of the model, decoding temperature, another
checkpoint, spotlighting -- on the same prompts across safety, over-refusal and
capability suites, through :mod:`redline.run`. It reports every metric with
intervals, paired deltas with Holm-corrected McNemar tests, Pareto frontiers and a
safety-tax table, and writes ``results.json`` (schema in docs/ablation.md).

>>> from redline.ablation import load_study, plan_study  # doctest: +SKIP
"""

from redline.ablation.analysis import ArmRecords, analyse_study
from redline.ablation.execute import (
    StudyEstimate,
    StudyOutcome,
    estimate_study,
    run_study,
    study_dir,
)
from redline.ablation.frontier import pareto_front, pareto_fronts, safety_tax
from redline.ablation.guarded_target import GuardedTarget, GuardSettings, guarded_spec
from redline.ablation.plan import StudyPlan, plan_study
from redline.ablation.report_html import render_study_html
from redline.ablation.results import (
    SCHEMA_VERSION,
    ArmResult,
    MetricResult,
    PairedComparison,
    SafetyTaxRow,
    StudyResults,
    read_results,
)
from redline.ablation.spotlighting import SpotlitTarget, spotlight, spotlit_spec
from redline.ablation.study import Arm, ArmSettings, Study, SuiteChoice, load_study

__all__ = [
    "SCHEMA_VERSION",
    "Arm",
    "ArmRecords",
    "ArmResult",
    "ArmSettings",
    "GuardSettings",
    "GuardedTarget",
    "MetricResult",
    "PairedComparison",
    "SafetyTaxRow",
    "SpotlitTarget",
    "Study",
    "StudyEstimate",
    "StudyOutcome",
    "StudyPlan",
    "StudyResults",
    "SuiteChoice",
    "analyse_study",
    "estimate_study",
    "guarded_spec",
    "load_study",
    "pareto_front",
    "pareto_fronts",
    "plan_study",
    "read_results",
    "render_study_html",
    "run_study",
    "safety_tax",
    "spotlight",
    "spotlit_spec",
    "study_dir",
]
