"""Run a campaign end to end: behaviours -> plan -> run loop -> store -> scores -> report."""

from __future__ import annotations

import asyncio
import platform
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import redline
from redline.attacks.base import AttackResources
from redline.attacks.compose import AttackChain
from redline.core import Attempt, Behavior, ConfigError, RunInfo, Score
from redline.data import dataset_hash, load_dataset, load_suite
from redline.data.packed_behaviors import PackedBehaviors
from redline.engine import DryRunEstimate, RequestTally
from redline.run.background_scoring import (
    BackgroundScoring,
    build_batch_scoring,
    starts_before_scorers,
)
from redline.run.campaign import Campaign
from redline.run.finish_ahead import FinishAhead
from redline.run.loop import (
    RunLoop,
    ScoringQueue,
    finish_run,
    response_cache_path,
    send_into_run,
)
from redline.run.plan import (
    JobPlan,
    chains_for,
    close_attack_resources,
    open_attack_resources,
    stratified_sample,
)
from redline.store import RunHandle, RunStore, new_run_id
from redline.targets import build_target
from redline.targets.base import Target

if TYPE_CHECKING:
    # The scoring package and the result (which needs the analysis) are imported
    # where used: a scan sends before importing them (redline.run.background_scoring).
    from redline.run.result import CampaignResult
    from redline.scoring.batch import BatchScoring


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
        unique = stratified_sample(unique, campaign.limit, seed=campaign.seed)
    return unique, sources


def dry_run(campaign: Campaign, *, check_models: bool = True) -> DryRunEstimate:
    """How many calls and tokens the campaign would send, at most; sends nothing.

    Checks what a real run checks before sending: the behaviours load, the
    scorers, the target and the attacker and judge models build (a misspelt
    kind, a missing python module or config file fails here as it would
    there). Multi-turn attacks are counted at their shape's bound (query
    budget, streams x iterations...), with their attacker and judge calls.
    ``check_models=False`` counts without building the models (an estimate
    printed before a real run, which builds them itself).
    """
    # Here, not at the top: a scan's start-up does not import the scoring package.
    from redline.scoring import build_scorer

    behaviors, _ = collect_behaviors(campaign)
    for name in campaign.scorers:
        build_scorer(name)
    chains = chains_for(campaign.attacks)

    async def count() -> tuple[DryRunEstimate, Counter[str]]:
        target = build_target(campaign.target, timeout=campaign.timeout) if check_models else None
        resources = (
            open_attack_resources(
                attacker=campaign.attacker,
                judge=campaign.judge,
                chains=chains,
                timeout=campaign.timeout,
            )
            if check_models
            else AttackResources()
        )
        try:
            plan = JobPlan(
                behaviors,
                chains,
                run_id="dry-run",
                target_name=target.name if target else campaign.target.display_name(),
                epochs=campaign.epochs,
                seed=campaign.seed,
                generation=campaign.generation,
                system_prompt=campaign.target.system_prompt,
                convert_async=False,
                limit=campaign.limit,
            )
            # Each job is counted and dropped: a dry run never holds the whole plan
            # (and the coroutine returns only the sums, not the jobs; issue 12).
            tally = RequestTally()
            jobs_by_chain: Counter[str] = Counter()
            async for job in plan:
                tally.add(job)
                jobs_by_chain[job.attempt.attack] += 1
            return tally.estimate(), jobs_by_chain
        finally:
            await close_attack_resources(resources)
            if target is not None:
                await target.aclose()

    base, jobs_by_chain = asyncio.run(count())
    return _with_attack_calls(base, jobs_by_chain, chains, campaign)


def _with_attack_calls(
    base: DryRunEstimate,
    jobs_by_chain: Counter[str],
    chains: list[AttackChain],
    campaign: Campaign,
) -> DryRunEstimate:
    """Add what attacks send besides one request per job: more target turns, attacker
    proposals (or attacker-model conversions), judge ratings."""
    target = attacker = judge = 0
    for chain in chains:
        jobs = jobs_by_chain.get(chain.label, 0)
        bounds = getattr(chain.driver_attack, "call_bounds", None)
        if callable(bounds):
            calls = bounds()
            target += (calls.target - 1) * jobs
            attacker += calls.attacker * jobs
            judge += calls.judge * jobs
        elif chain.needs_attacker and chain.driver_attack is None:
            attacker += jobs  # a converter that asks the attacker model once per prompt
    completion = target * campaign.generation.max_tokens
    prompt = target * (base.prompt_tokens // max(base.requests, 1))
    return base.model_copy(
        update={
            "requests": base.requests + target,
            "prompt_tokens": base.prompt_tokens + prompt,
            "max_completion_tokens": base.max_completion_tokens + completion,
            "total_tokens": base.total_tokens + prompt + completion,
            "attacker_requests": attacker,
            "judge_requests": judge,
        }
    )


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
    """Run (or resume) a campaign and write its run directory and report.

    A campaign scored by built-in scorers only sends before building them: they
    are built in a background thread while the first requests are in flight
    (:mod:`redline.run.background_scoring`); any other is built before sending.
    """
    collected, sources = collect_behaviors(campaign)
    # Held compactly until the run ends (a 100,000-prompt file: 150 MB as models).
    behaviors = PackedBehaviors(collected)
    del collected
    quick_start = starts_before_scorers(campaign.scorers, judge=campaign.judge)
    judge, built_scoring = (None, None) if quick_start else _scoring_before_sending(campaign)
    warnings = campaign.warnings()
    for warning in warnings:
        # Said before sending: a wasted run is cheaper to stop at its start.
        print(f"warning: {warning}", file=sys.stderr)
    settings = campaign.engine_settings()
    loop = RunLoop.for_target(
        campaign.target,
        settings=settings,
        cache_path=response_cache_path(store.root),
        progress=progress,
        handle_sigint=handle_sigint,
    )
    try:
        handle = _open_or_create(store, campaign, resume=resume, new_run=new_run, datasets=sources)
    except BaseException:
        await loop.aclose()
        if judge is not None:
            await judge.aclose()
        raise
    # Follows the run's records as they are written, so finishing it reads nothing back
    # (a fresh run; a resumed one is finished from its files).
    ahead = FinishAhead(
        handle,
        scorers=campaign.scorers,
        headline_scorer=campaign.headline_scorer,
        max_transcripts=campaign.max_transcripts,
    )
    resources = AttackResources()
    background: BackgroundScoring | None = None
    try:
        resources, plan = _plan(
            campaign,
            behaviors,
            run_id=handle.info.id,
            target_name=loop.target.name,
            done=handle.completed_attempt_ids(),
            state_dir=handle.path / "conversations",
            # An attacker failure is recorded as the plan meets it (a failed attempt).
            on_failed=handle.append_attempt,
        )
        # Classifier scorers score in batches in a thread, overlapping the sending;
        # LLM judges score with `ascore`, off the event loop's critical path.
        scoring: ScoringQueue
        if built_scoring is not None:
            scoring = built_scoring(handle.append_score)
        else:
            background = BackgroundScoring(
                partial(build_batch_scoring, campaign.scorers, handle.append_score)
            )
            scoring = background
        if plan.done:  # a run killed mid-batch left attempts without scores
            # A resumed run waits for its scorers before sending, so it scores what
            # was left first, as before.
            ready = await background.ready() if background is not None else scoring
            # Here, not at the top (start-up: see the imports), and after the build
            # has joined its thread: one thread imports the scoring package at a time.
            from redline.scoring.batch import BatchScoring, catch_up

            assert isinstance(ready, BatchScoring)
            scored = {(s.attempt_id, s.scorer) for s in handle.read_scores()}
            await catch_up(ready, handle.read_attempts(), scored)
        # The plan makes each job as the executor asks for it: never all of them at once.
        stats = await send_into_run(
            handle,
            loop,
            plan,
            scorers_for=lambda _: [],  # batch_scoring scores every attempt
            batch_scoring=scoring,
            on_first_job=background.start if background is not None else None,
        )
        finished = finish_run(
            handle,
            stats,
            report_path=campaign.report or handle.path / "report.html",
            headline_scorer=campaign.headline_scorer,
            max_transcripts=campaign.max_transcripts,
            ahead=ahead,
        )
        # Here, for the finish only: the result's summary needs the analysis (start-up).
        from redline.run.result import CampaignResult

        return CampaignResult(
            run_id=handle.info.id,
            run_dir=handle.path,
            report_path=finished.report_path,
            status=finished.status,
            summary=finished.summary,
            engine=stats,
            skipped_done=plan.done,
            attempts=finished.counts["attempts"],
            errors=finished.counts["errors"],
            warnings=warnings,
        )
    finally:
        if background is not None:
            # A run that raised mid-build: let the thread's imports finish before the
            # caller's error handling imports anything (no two importing threads).
            await asyncio.to_thread(background.join)
        await close_attack_resources(resources)
        await loop.aclose()
        if judge is not None:
            await judge.aclose()
        handle.close()


def _scoring_before_sending(
    campaign: Campaign,
) -> tuple[Target | None, Callable[[Callable[[Score], None]], BatchScoring]]:
    """Build the scorers now (a judge, parameters, plugins: errors before any request);
    returns the judge target and a maker of the batch scoring for the run's writer."""
    # Here, not at the top: a quick-start scan does not import scoring before sending.
    from redline.scoring import JUDGE_SCORERS, Scorer, build_scorer
    from redline.scoring.batch import BatchScoring

    # The judge model, when set, also grades harm (the `harm` scorer and the LLM judges).
    grades_harm = any(name in JUDGE_SCORERS for name in campaign.scorers)
    judge = (
        build_target(campaign.judge, timeout=campaign.timeout)
        if campaign.judge and grades_harm
        else None
    )
    scorers: list[Scorer] = [build_scorer(name, judge=judge) for name in campaign.scorers]
    return judge, partial(BatchScoring, scorers)


def _plan(
    campaign: Campaign,
    behaviors: Sequence[Behavior],
    *,
    run_id: str,
    target_name: str,
    done: set[str],
    state_dir: Path | None,
    on_failed: Callable[[Attempt], None],
) -> tuple[AttackResources, JobPlan]:
    """The campaign's jobs: plain prompts, converted prompts and multi-turn drivers."""
    chains = chains_for(campaign.attacks)
    resources = open_attack_resources(
        attacker=campaign.attacker, judge=campaign.judge, chains=chains, timeout=campaign.timeout
    )
    plan = JobPlan(
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
        on_failed=on_failed,
    )
    return resources, plan


def run_campaign_sync(campaign: Campaign, **kwargs: object) -> CampaignResult:
    """:func:`run_campaign` for callers without an event loop."""
    return asyncio.run(run_campaign(campaign, **kwargs))  # type: ignore[arg-type]
