"""Run a campaign end to end: behaviours -> jobs -> engine -> store -> scores -> report."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path

from pydantic import BaseModel

import redline
from redline.analysis import RunSummary, summarize_run
from redline.attacks.base import AttackResources
from redline.core import Attempt, Behavior, ConfigError, Message, RunInfo, attempt_id, content_hash
from redline.data import dataset_hash, load_dataset, load_suite
from redline.engine import (
    Budget,
    DryRunEstimate,
    EngineStats,
    Job,
    ResponseCache,
    estimate,
    install_sigint_handler,
    make_executor,
    make_progress,
)
from redline.report import render_html
from redline.run.campaign import Campaign
from redline.run.plan import (
    AttackPlan,
    chains_for,
    close_attack_resources,
    open_attack_resources,
    plan_attack_jobs,
)
from redline.scoring import JUDGE_SCORERS, Scorer, build_scorer
from redline.scoring.batch import BatchScoring, catch_up
from redline.store import RunHandle, RunStore, new_run_id
from redline.targets import build_target


class CampaignResult(BaseModel):
    """What a finished (or interrupted) scan produced."""

    run_id: str
    run_dir: Path
    report_path: Path | None
    status: str
    summary: RunSummary
    engine: EngineStats
    skipped_done: int
    attempts: int
    errors: int


def collect_behaviors(campaign: Campaign) -> tuple[list[Behavior], dict[str, str]]:
    """The behaviours a campaign sends, and a hash of each source for run.json."""
    behaviors: list[Behavior] = []
    sources: dict[str, str] = {}
    for suite in campaign.suites:
        loaded = load_suite(suite)
        sources[f"suite:{suite}"] = dataset_hash(loaded)
        behaviors.extend(loaded)
    for path in campaign.prompts:
        loaded = load_dataset(path)
        sources[f"file:{path}"] = dataset_hash(loaded)
        behaviors.extend(loaded)
    if not behaviors:
        raise ConfigError("nothing to send: give --suite NAME or --prompts FILE")
    seen: set[str] = set()
    unique = []
    for behavior in behaviors:
        if behavior.id not in seen:
            seen.add(behavior.id)
            unique.append(behavior)
    if campaign.limit is not None:
        unique = unique[: campaign.limit]
    return unique, sources


def conversation_for(behavior: Behavior, campaign: Campaign) -> list[Message]:
    system = behavior.system_prompt or campaign.target.system_prompt
    messages = [Message(role="system", content=system)] if system else []
    messages.append(Message(role="user", content=behavior.prompt))
    return messages


def build_jobs(
    campaign: Campaign, behaviors: list[Behavior], *, run_id: str, target_name: str
) -> list[Job]:
    """One job per behaviour and epoch; ids are content-addressed for resume."""
    jobs = []
    for behavior in behaviors:
        messages = conversation_for(behavior, campaign)
        prompt_hash = content_hash([m.model_dump() for m in messages])
        for epoch in range(campaign.epochs):
            seed = campaign.seed + epoch
            params = campaign.generation.model_copy(update={"seed": seed})
            attempt = Attempt(
                id=attempt_id(
                    behavior_id=behavior.id,
                    prompt_hash=prompt_hash,
                    attack="none",
                    attack_params={},
                    target=target_name,
                    generation=params,
                    epoch=epoch,
                    seed=seed,
                ),
                run_id=run_id,
                behavior_id=behavior.id,
                category=behavior.category,
                expected=behavior.expected,
                target=target_name,
                epoch=epoch,
                seed=seed,
                messages=messages,
                tags=behavior.tags,
            )
            jobs.append(Job(attempt=attempt, params=params))
    return jobs


def dry_run(campaign: Campaign) -> DryRunEstimate:
    """How many requests and tokens the campaign would send; sends nothing."""
    behaviors, _ = collect_behaviors(campaign)
    if campaign.attacks:
        plan = asyncio.run(
            plan_attack_jobs(
                behaviors,
                chains_for(campaign.attacks),
                run_id="dry-run",
                target_name=campaign.target.display_name(),
                epochs=campaign.epochs,
                seed=campaign.seed,
                generation=campaign.generation,
                system_prompt=campaign.target.system_prompt,
                convert_async=False,
                limit=campaign.limit,
            )
        )
        return estimate(plan.pending)
    jobs = build_jobs(
        campaign, behaviors, run_id="dry-run", target_name=campaign.target.display_name()
    )
    return estimate(jobs)


def _versions(campaign: Campaign) -> dict[str, str]:
    versions = {"redline": redline.__version__, "python": platform.python_version()}
    if campaign.target.kind == "local":
        try:
            import llama_cpp

            versions["llama_cpp_python"] = llama_cpp.__version__
        except ImportError:
            pass
    return versions


def _open_or_create(
    store: RunStore,
    campaign: Campaign,
    *,
    resume: str | None,
    new_run: bool,
    datasets: dict[str, str],
) -> RunHandle:
    config_hash = campaign.config_hash()
    if resume is not None:
        handle = store.open(resume)
        stored_hash = handle.info.config.get("config_hash")
        if stored_hash != config_hash:
            raise ConfigError(
                f"run {resume} was made by a different campaign (config hash {stored_hash}, "
                f"this one {config_hash}); resume it with its own settings: "
                f"redline scan --resume {resume}"
            )
        return handle
    if not new_run:
        previous = store.find(config_hash)
        if previous is not None:
            return store.open(previous.id)
    config = campaign.model_dump(mode="json")
    config["config_hash"] = config_hash
    info = RunInfo(id=new_run_id(), config=config, versions=_versions(campaign), datasets=datasets)
    return store.create(info)


def stored_campaign(store: RunStore, run_id: str) -> Campaign:
    """The campaign a stored run was made with, for ``--resume RUN_ID``."""
    config = dict(store.open(run_id).info.config)
    config.pop("config_hash", None)
    return Campaign.model_validate(config)


async def run_campaign(
    campaign: Campaign,
    *,
    store: RunStore,
    resume: str | None = None,
    new_run: bool = False,
    progress: bool = True,
    handle_sigint: bool = False,
) -> CampaignResult:
    """Run (or resume) a campaign and write its run directory and report."""
    behaviors, sources = collect_behaviors(campaign)
    target = build_target(campaign.target, timeout=campaign.timeout)
    # The judge model, when set, also grades harm (the `harm` scorer and the LLM judges).
    grades_harm = any(name in JUDGE_SCORERS for name in campaign.scorers)
    judge = (
        build_target(campaign.judge, timeout=campaign.timeout)
        if campaign.judge and grades_harm
        else None
    )
    scorers: list[Scorer] = [build_scorer(name, judge=judge) for name in campaign.scorers]
    handle = _open_or_create(store, campaign, resume=resume, new_run=new_run, datasets=sources)
    resources = AttackResources()
    try:
        done = handle.completed_attempt_ids()
        if campaign.attacks:
            resources, plan = await _plan_attacks(
                campaign,
                behaviors,
                run_id=handle.info.id,
                target_name=target.name,
                done=done,
                state_dir=handle.path / "conversations",
            )
            for failed in plan.failed:
                handle.append_attempt(failed)
            jobs_total, pending = plan.total - len(plan.failed), plan.pending
        else:
            jobs = build_jobs(campaign, behaviors, run_id=handle.info.id, target_name=target.name)
            pending = [job for job in jobs if job.attempt.id not in done]
            jobs_total = len(jobs)
        handle.update(status="running")
        cache = (
            ResponseCache(store.root / ".cache" / "responses.sqlite") if campaign.cache else None
        )
        executor = make_executor(
            campaign.executor,
            target=target,
            target_spec=campaign.target,
            ray_address=campaign.ray_address,
            ray_workers=campaign.ray_workers,
            concurrency=campaign.concurrency,
            requests_per_minute=campaign.requests_per_minute,
            tokens_per_minute=campaign.tokens_per_minute,
            timeout=campaign.timeout,
            max_retries=campaign.max_retries,
            cache=cache,
            budget=Budget(max_requests=campaign.max_requests, max_tokens=campaign.max_tokens),
            progress=make_progress(len(pending), enabled=progress),
        )
        remove_sigint_handler = install_sigint_handler(executor) if handle_sigint else None

        # Classifier scorers score in batches in a thread, overlapping the sending;
        # LLM judges score with `ascore`, off the event loop's critical path.
        scoring = BatchScoring(scorers, handle.append_score)
        if done:  # a run killed mid-batch left attempts without scores
            scored = {(s.attempt_id, s.scorer) for s in handle.read_scores()}
            await catch_up(scoring, handle.read_attempts(), scored)

        async def record(attempt: Attempt) -> None:
            handle.append_attempt(attempt)
            await scoring.add(attempt)

        try:
            stats = await executor.run(pending, record, total=len(pending))
            await scoring.close()
        except BaseException:
            handle.update(status="failed")
            raise
        finally:
            if remove_sigint_handler is not None:
                remove_sigint_handler()
            if cache is not None:
                cache.close()
            await target.aclose()
            if judge is not None:
                await judge.aclose()
        return _finish(handle, campaign, stats, skipped_done=jobs_total - len(pending))
    finally:
        await close_attack_resources(resources)
        handle.close()


async def _plan_attacks(
    campaign: Campaign,
    behaviors: list[Behavior],
    *,
    run_id: str,
    target_name: str,
    done: set[str],
    state_dir: Path | None,
) -> tuple[AttackResources, AttackPlan]:
    """Jobs for a campaign with ``attacks``: converted prompts and multi-turn drivers."""
    resources = open_attack_resources(
        attacker=campaign.attacker,
        judge=campaign.judge,
        chains=chains_for(campaign.attacks),
        timeout=campaign.timeout,
    )
    plan = await plan_attack_jobs(
        behaviors,
        chains_for(campaign.attacks, resources=resources),
        run_id=run_id,
        target_name=target_name,
        epochs=campaign.epochs,
        seed=campaign.seed,
        generation=campaign.generation,
        system_prompt=campaign.target.system_prompt,
        done=done,
        state_dir=state_dir,
        limit=campaign.limit,
    )
    return resources, plan


def _finish(
    handle: RunHandle, campaign: Campaign, stats: EngineStats, *, skipped_done: int
) -> CampaignResult:
    attempts = handle.read_attempts()
    scores = handle.read_scores()
    unfinished = stats.interrupted or stats.budget_exhausted
    status = "interrupted" if unfinished else "completed"
    counts = {
        "attempts": len(attempts),
        "errors": sum(1 for a in attempts if a.error is not None),
        "scores": len(scores),
    }
    handle.update(status=status, counts=counts, engine_stats=stats.model_dump(mode="json"))
    # Summarised after the update so the report shows the final status and engine stats.
    summary = summarize_run(handle.info, attempts, scores, scorer=campaign.headline_scorer)
    report_path = campaign.report or handle.path / "report.html"
    render_html(
        info=handle.info, summary=summary, attempts=attempts, scores=scores, path=report_path
    )
    return CampaignResult(
        run_id=handle.info.id,
        run_dir=handle.path,
        report_path=report_path,
        status=status,
        summary=summary,
        engine=stats,
        skipped_done=skipped_done,
        attempts=counts["attempts"],
        errors=counts["errors"],
    )


def run_campaign_sync(campaign: Campaign, **kwargs: object) -> CampaignResult:
    """:func:`run_campaign` for callers without an event loop."""
    return asyncio.run(run_campaign(campaign, **kwargs))  # type: ignore[arg-type]
