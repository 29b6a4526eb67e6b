"""Regression suites and their pass history: every ``redline regress run`` in the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redline.core import RedlineError
from redline.regress import case_results, load_regression_suite
from redline.stats import Interval, clustered_proportion_interval
from redline.ui.catalog import RunEntry


@dataclass
class SuiteRun:
    """One replay of a suite: when, against what, and how many cases passed."""

    run_id: str
    created_at: str
    target: str
    revision: int | None
    cases: int = 0
    failed: list[str] = field(default_factory=list)
    pass_rate: Interval | None = None
    problem: str | None = None


@dataclass
class SuiteHistory:
    name: str
    runs: list[SuiteRun]


def _suite_run(entry: RunEntry) -> SuiteRun:
    assert entry.handle is not None
    config = entry.handle.info.config
    result = SuiteRun(
        run_id=entry.id,
        created_at=entry.handle.info.created_at,
        target=entry.target,
        revision=config.get("suite_revision"),
    )
    suite_path = config.get("suite_path")
    if not suite_path or not Path(suite_path).is_file():
        result.problem = f"suite file {suite_path or '(not recorded)'} not found: no pass rates"
        return result
    try:
        suite = load_regression_suite(Path(suite_path))
        cases = case_results(suite, entry.handle.read_attempts(), entry.handle.read_scores())
    except RedlineError as exc:
        result.problem = str(exc)
        return result
    result.cases = len(cases)
    result.failed = [c.id for c in cases if c.passed < c.samples - c.errors]
    result.pass_rate = clustered_proportion_interval(
        [c.passed for c in cases], [c.samples - c.errors for c in cases]
    )
    return result


def suite_histories(entries: list[RunEntry]) -> list[SuiteHistory]:
    """Each suite with its runs, oldest first."""
    by_suite: dict[str, list[SuiteRun]] = {}
    for entry in entries:
        if entry.handle is None or entry.handle.info.config.get("kind") != "regression":
            continue
        name = str(entry.handle.info.config.get("suite") or "unnamed suite")
        by_suite.setdefault(name, []).append(_suite_run(entry))
    return [
        SuiteHistory(name=name, runs=sorted(runs, key=lambda r: r.created_at))
        for name, runs in sorted(by_suite.items())
    ]
