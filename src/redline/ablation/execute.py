"""Running a study: each distinct arm configuration as a campaign through ``run/``,
then the analysis, ``results.json`` and the HTML report in the study's folder.

Resuming is re-running: each arm's campaign finds its run in the store by
config hash (:func:`redline.run.run_campaign`) and sends only what is missing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from redline.ablation.analysis import ArmRecords, analyse_study
from redline.ablation.plan import StudyPlan, plan_study
from redline.ablation.report_html import render_study_html
from redline.ablation.results import StudyResults
from redline.ablation.study import Study
from redline.engine import DryRunEstimate
from redline.run import dry_run, response_cache_path, run_campaign
from redline.store import RunStore

STUDIES_FOLDER = "studies"


def study_dir(runs_dir: Path, study: Study) -> Path:
    """Where a study keeps its prompts, results and report: ``RUNS/studies/<name>``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", study.name).strip("-.") or "study"
    return Path(runs_dir) / STUDIES_FOLDER / slug


class ArmEstimate(BaseModel):
    """What one arm would send (arms sharing a configuration count once)."""

    arm: str
    shares_run_with: str | None
    requests: int
    max_completion_tokens: int


class StudyEstimate(BaseModel):
    """``redline ablate --dry-run``: the plan, what it would send, and the warnings."""

    study: str
    prompts: dict[str, int]
    arms: list[ArmEstimate]
    distinct_runs: int
    requests: int
    warnings: list[str]
    prompts_file: str


def estimate_study(plan: StudyPlan) -> StudyEstimate:
    """Count what the study would send; sends nothing, builds no model."""
    first_of: dict[str, str] = {}
    arms = []
    for arm_plan in plan.arms:
        owner = first_of.setdefault(arm_plan.config_hash, arm_plan.arm.name)
        if owner != arm_plan.arm.name:
            arms.append(
                ArmEstimate(
                    arm=arm_plan.arm.name,
                    shares_run_with=owner,
                    requests=0,
                    max_completion_tokens=0,
                )
            )
            continue
        counted: DryRunEstimate = dry_run(arm_plan.campaign, check_models=False)
        arms.append(
            ArmEstimate(
                arm=arm_plan.arm.name,
                shares_run_with=None,
                requests=counted.requests,
                max_completion_tokens=counted.max_completion_tokens,
            )
        )
    prompts: dict[str, int] = {}
    for suite in plan.suite_of.values():
        prompts[suite] = prompts.get(suite, 0) + 1
    return StudyEstimate(
        study=plan.study.name,
        prompts=prompts,
        arms=arms,
        distinct_runs=plan.distinct_runs,
        requests=sum(a.requests for a in arms),
        warnings=plan.warnings,
        prompts_file=str(plan.prompts_file),
    )


@dataclass(frozen=True)
class StudyOutcome:
    """A finished study: its results, where they were written, and how the runs ended."""

    results: StudyResults
    results_path: Path
    report_path: Path
    run_status: dict[str, str]


async def run_study(
    study: Study,
    *,
    runs_dir: Path,
    limit: int | None = None,
    progress: bool = True,
) -> StudyOutcome:
    """Plan the study, run every distinct arm configuration, analyse, write the files."""
    folder = study_dir(runs_dir, study)
    plan = plan_study(
        study, study_dir=folder, limit=limit, answers_cache=response_cache_path(Path(runs_dir))
    )
    for warning in plan.warnings:
        # Said before sending: a study too small to answer its question is cheaper to stop now.
        print(f"warning: {warning}", file=sys.stderr)
    store = RunStore(runs_dir)
    done: dict[str, ArmRecords] = {}
    status: dict[str, str] = {}
    records: dict[str, ArmRecords] = {}
    for index, arm_plan in enumerate(plan.arms, start=1):
        key = arm_plan.config_hash
        if key not in done:
            if progress:
                print(f"arm {index}/{len(plan.arms)}: {arm_plan.arm.name}", file=sys.stderr)
            result = await run_campaign(arm_plan.campaign, store=store, progress=progress)
            handle = store.open(result.run_id)
            attempts = handle.read_attempts()
            done[key] = ArmRecords(
                run_id=result.run_id,
                target=attempts[0].target if attempts else arm_plan.campaign.target.kind,
                attempts=attempts,
                scores=handle.read_scores(),
            )
            status[result.run_id] = result.status
        records[arm_plan.arm.name] = done[key]
    unfinished = [f"run {r} is {s}" for r, s in status.items() if s != "completed"]
    results = analyse_study(plan, records, warnings=unfinished)
    results_path = results.write(folder)
    report_path = render_study_html(results, folder / "report.html")
    return StudyOutcome(
        results=results, results_path=results_path, report_path=report_path, run_status=status
    )
