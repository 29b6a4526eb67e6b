"""Running a regression suite through the engine into the run store, and its pass rates.

Every case is sent ``epochs`` times. Pass rates per case use Wilson intervals;
per policy and overall, the attempts of one case form a cluster (they share a
prompt, so they are not independent) and the interval is the clustered one
from :mod:`redline.stats`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from pydantic import BaseModel, Field

from redline.core import Attempt, GenerationParams, RunInfo, Score, content_hash
from redline.regress.replay import CaseSample, case_jobs, case_passed, scorer_for
from redline.regress.suite_file import RegressionCase, RegressionSuite
from redline.run import EngineSettings, RunLoop, finish_run, response_cache_path, send_into_run
from redline.stats import Interval, clustered_proportion_interval, design_effect, wilson_interval
from redline.store import RunStore, new_run_id
from redline.targets.spec import TargetSpec


class CaseResult(BaseModel):
    """One case's replies: how many passed, with an interval, and a failing transcript."""

    id: str
    policy: str
    expected: str
    severity: str
    samples: int
    passed: int
    errors: int
    pass_rate: Interval
    failure: str | None = None


class PolicyResult(BaseModel):
    """Pass rate over every case of one policy (clustered by case)."""

    policy: str
    cases: int
    samples: int
    passed: int
    errors: int
    pass_rate: Interval
    design_effect: float = 1.0


class RegressionResult(BaseModel):
    """What ``redline regress run`` measured; ``all_passed`` when no reply failed."""

    run_id: str
    run_dir: Path
    suite: str
    revision: int
    target: str
    epochs: int
    cases: list[CaseResult]
    policies: list[PolicyResult]
    overall: PolicyResult
    report: Path | None = None
    failed_cases: list[str] = Field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        return not self.failed_cases


def _pooled(name: str, results: list[CaseResult]) -> PolicyResult:
    passed = [r.passed for r in results]
    trials = [r.samples - r.errors for r in results]
    return PolicyResult(
        policy=name,
        cases=len(results),
        samples=sum(trials),
        passed=sum(passed),
        errors=sum(r.errors for r in results),
        pass_rate=clustered_proportion_interval(passed, trials),
        design_effect=round(design_effect(passed, trials), 4),
    )


def case_results(
    suite: RegressionSuite, attempts: Collection[Attempt], scores: Collection[Score]
) -> list[CaseResult]:
    """Per-case pass counts from stored attempts and scores."""
    by_attempt: dict[str, list[Score]] = defaultdict(list)
    for score in scores:
        by_attempt[score.attempt_id].append(score)
    samples: dict[str, list[CaseSample]] = defaultdict(list)
    cases = {case.id: case for case in suite.cases}
    for attempt in attempts:
        case = cases.get(attempt.behavior_id)
        if case is None:
            continue
        # A suite run writes one score per attempt, by the case's scorer (or the
        # pattern scorer standing in for "refusal").
        score = next(iter(by_attempt[attempt.id]), None)
        passed = None if score is None else case_passed(case, score)
        samples[case.id].append(CaseSample(attempt, score, passed))
    return [_case_result(case, samples[case.id]) for case in suite.cases]


def _case_result(case: RegressionCase, samples: list[CaseSample]) -> CaseResult:
    scored = [s for s in samples if s.passed is not None]
    passed = sum(1 for s in scored if s.passed)
    failing = next(
        (s for s in sorted(samples, key=lambda s: s.attempt.epoch) if s.passed is False), None
    )
    return CaseResult(
        id=case.id,
        policy=case.policy,
        expected=case.expected,
        severity=case.severity,
        samples=len(samples),
        passed=passed,
        errors=len(samples) - len(scored),
        pass_rate=wilson_interval(passed, len(scored)),
        failure=failing.transcript() if failing else None,
    )


# A regression run asks the model again by default: a cached answer would let a
# suite pass after the model behind an unchanged endpoint regressed.
REGRESSION_ENGINE = EngineSettings(cache=False)


async def run_suite(
    suite: RegressionSuite,
    *,
    target: TargetSpec,
    store: RunStore,
    epochs: int = 1,
    generation: GenerationParams | None = None,
    settings: EngineSettings = REGRESSION_ENGINE,
    seed: int = 0,
    progress: bool = False,
    handle_sigint: bool = False,
    suite_path: Path | None = None,
) -> RegressionResult:
    """Replay every case ``epochs`` times into a new run and compute pass rates.

    Sent through the run loop: ``settings`` give the cache, budgets and rate
    limits; scorers with ``ascore`` (LLM judges) score while other requests run.
    """
    generation = generation or GenerationParams()
    config = {
        "kind": "regression",
        "suite": suite.name,
        "suite_revision": suite.revision,
        "suite_path": str(suite_path) if suite_path else None,
        "suites": [str(suite_path) if suite_path else suite.name],
        "target": target.model_dump(mode="json"),
        "epochs": epochs,
        "seed": seed,
        "generation": generation.model_dump(),
        "scorers": sorted({case.scorer for case in suite.cases}),
    }
    config["config_hash"] = content_hash(config)
    scorers = {case.id: scorer_for(case) for case in suite.cases}
    loop = RunLoop.for_target(
        target,
        settings=settings,
        cache_path=response_cache_path(store.root),
        progress=progress,
        handle_sigint=handle_sigint,
    )
    try:
        handle = store.create(RunInfo(id=new_run_id(), config=config))
        jobs = [
            job
            for case in suite.cases
            for job in case_jobs(
                case,
                run_id=handle.id,
                target_name=loop.target.name,
                epochs=epochs,
                generation=generation,
                seed=seed,
                suite_name=suite.name,
            )
        ]
        try:
            stats = await send_into_run(
                handle, loop, jobs, scorers_for=lambda a: [scorers[a.behavior_id]]
            )
            finished = finish_run(handle, stats, report_path=handle.path / "report.html")
        finally:
            handle.close()
    finally:
        await loop.aclose()
    attempts, scores = finished.attempts, finished.scores
    results = case_results(suite, attempts, scores)
    by_policy: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        by_policy[result.policy].append(result)
    return RegressionResult(
        run_id=handle.id,
        run_dir=handle.path,
        suite=suite.name,
        revision=suite.revision,
        target=loop.target.name,
        epochs=epochs,
        cases=results,
        policies=[_pooled(name, items) for name, items in sorted(by_policy.items())],
        overall=_pooled("all", results),
        report=finished.report_path,
        failed_cases=[r.id for r in results if r.passed < r.samples - r.errors],
    )
