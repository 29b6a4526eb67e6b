"""Regression suites from abuse reports.

- :func:`read_reports`: validate a JSONL/CSV report file (bad records listed
  with their line, never dropped silently; non-UTF-8 detected).
- :func:`ingest_reports`: redact PII and secrets with the guard's scanners,
  cluster near-duplicates (:mod:`redline.regress.near_duplicates`), one
  :class:`RegressionCase` per cluster and policy, in a versioned
  :class:`RegressionSuite` YAML file.
- :func:`shrink_case`: replay a case against a target and drop every earlier
  turn the failure does not need.
- :func:`run_suite`: replay a suite through the engine into the run store;
  pass rates per case and per policy with (clustered) intervals.
- The ``leakage`` scorer (:class:`LeakageScorer`) and a pytest plugin
  (``pytest --redline-suite SUITE --redline-target TARGET``).
"""

from redline.regress.ingest import IngestResult, build_case, case_id, ingest_reports
from redline.regress.leakage import LeakageScorer
from redline.regress.near_duplicates import DedupSettings, cluster_texts, minhash_signatures
from redline.regress.policies import PolicyBook, PolicyRule
from redline.regress.replay import CaseSample, case_jobs, case_passed, replay, scorer_for
from redline.regress.report_redaction import ReportRedactor
from redline.regress.reports import (
    AbuseReport,
    ReportBatch,
    ReportLimits,
    ReportProblem,
    parse_field_map,
    read_reports,
)
from redline.regress.shrink import ShrinkOutcome, conversation_units, shrink_case, shrink_suite
from redline.regress.suite_file import (
    RegressionCase,
    RegressionSuite,
    dump_regression_suite,
    load_regression_suite,
    merge_suites,
    save_regression_suite,
)
from redline.regress.suite_run import (
    CaseResult,
    PolicyResult,
    RegressionResult,
    case_results,
    run_suite,
)

__all__ = [
    "AbuseReport",
    "CaseResult",
    "CaseSample",
    "DedupSettings",
    "IngestResult",
    "LeakageScorer",
    "PolicyBook",
    "PolicyResult",
    "PolicyRule",
    "RegressionCase",
    "RegressionResult",
    "RegressionSuite",
    "ReportBatch",
    "ReportLimits",
    "ReportProblem",
    "ReportRedactor",
    "ShrinkOutcome",
    "build_case",
    "case_id",
    "case_jobs",
    "case_passed",
    "case_results",
    "cluster_texts",
    "conversation_units",
    "dump_regression_suite",
    "ingest_reports",
    "load_regression_suite",
    "merge_suites",
    "minhash_signatures",
    "parse_field_map",
    "read_reports",
    "replay",
    "run_suite",
    "save_regression_suite",
    "scorer_for",
    "shrink_case",
    "shrink_suite",
]
