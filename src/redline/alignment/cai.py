"""The Constitutional-AI loop: sample -> critique against a principle -> revise, N rounds,
then AI feedback on original vs final answer.

Every model call is a planned job (:func:`redline.run.plan_job`, content-addressed
attempt ids) sent through :class:`redline.run.RunLoop` into a stored run, so a
run gets the response cache, retries, Ctrl-C handling and progress of a scan,
and re-running the same command resumes it: each stage's ids follow from the
answers recorded before it, so what is recorded is not sent again.

Outputs (in ``<run>/cai/``): ``sl.jsonl`` (prompt, final revised answer: SL-CAI
data), ``prefs.jsonl`` (RL-CAI preference pairs labelled by the feedback model,
soft label in ``meta.p_chosen``), ``summary.json`` (:mod:`redline.alignment.cai_summary`).
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from redline.alignment.cai_config import CaiConfig
from redline.alignment.cai_feedback import FeedbackVote, feedback_jobs, preference_from_votes
from redline.alignment.cai_prompts import (
    CRITIQUE_SCHEMA,
    Critique,
    critique_messages,
    parse_critique,
    revision_messages,
)
from redline.alignment.cai_summary import CaiSummary, RoundAnswer, summarize_cai
from redline.alignment.constitution import Principle
from redline.alignment.dpo_records import (
    CompletionRecord,
    PreferenceRecord,
    assistant_turn,
    write_records,
)
from redline.core import (
    Attempt,
    Behavior,
    ConfigError,
    GenerationParams,
    Message,
    RunInfo,
    Score,
)
from redline.engine import EngineStats, Job
from redline.run import Campaign, RunLoop, collect_behaviors, plan_job, response_cache_path
from redline.run.loop import accumulated_engine_stats
from redline.run.plan import base_messages
from redline.scoring import Scorer, build_scorer
from redline.store import RunHandle, RunStore, new_run_id

# The scorers every answer (original and revision) gets, for the summary.
ANSWER_SCORERS = ("refusal", "harm-classifier")
SAMPLE, CRITIQUE, REVISION, FEEDBACK = "cai:sample", "cai:critique", "cai:revision", "cai:feedback"
ANSWER_STAGES = (SAMPLE, REVISION)


class CaiResult(BaseModel):
    """What a finished or interrupted CAI run produced."""

    run_id: str
    run_dir: Path
    status: str
    sl_path: Path | None = None
    prefs_path: Path | None = None
    summary: CaiSummary | None = None
    engine: EngineStats


@dataclass
class _Item:
    """One prompt's way through the rounds."""

    behavior: Behavior
    prompt: list[Message]
    answers: list[Attempt] = field(default_factory=list)  # [original, after round 1, ...]
    principles: list[dict[str, object]] = field(default_factory=list)
    failed: bool = False

    @property
    def answer(self) -> str:
        return self.answers[-1].response or ""


class _Collector:
    """Records attempts and scores into the run and keeps the latest attempt by id."""

    def __init__(self, handle: RunHandle) -> None:
        self.handle = handle
        self.done = handle.completed_attempt_ids()
        self.attempts = {a.id: a for a in handle.read_attempts()}

    def attempt(self, attempt: Attempt) -> None:
        self.handle.append_attempt(attempt)
        self.attempts[attempt.id] = attempt

    def scores(self, attempt: Attempt, scores: list[Score]) -> None:
        for score in scores:
            self.handle.append_score(score)


class _Stages:
    """Sends each stage's jobs (skipping recorded ones) and hands back their attempts."""

    def __init__(
        self, *, loop: RunLoop, feedback_loop: RunLoop, collector: _Collector, scorers: list[Scorer]
    ) -> None:
        self.loop = loop
        self.feedback_loop = feedback_loop
        self.collector = collector
        self.scorers = scorers
        self.stats = EngineStats()

    def _scorers_for(self, attempt: Attempt) -> list[Scorer]:
        return self.scorers if attempt.attack in ANSWER_STAGES else []

    async def send(self, jobs: list[Job], *, label: str, feedback: bool = False) -> list[Attempt]:
        pending = [job for job in jobs if job.attempt.id not in self.collector.done]
        if pending:
            print(f"cai: {label}: {len(pending)} to send", file=sys.stderr)
            loop = self.feedback_loop if feedback else self.loop
            stats = await loop.send(pending, scorers_for=self._scorers_for, recorder=self.collector)
            self.stats = self.stats.plus(stats)
            self.collector.done.update(a.id for a in _ok(self.collector, pending))
        return [self.collector.attempts[job.attempt.id] for job in jobs if self._has(job)]

    def _has(self, job: Job) -> bool:
        return job.attempt.id in self.collector.attempts

    @property
    def stopped(self) -> bool:
        return self.stats.interrupted or self.stats.budget_exhausted


def _ok(collector: _Collector, jobs: list[Job]) -> list[Attempt]:
    found = (collector.attempts.get(job.attempt.id) for job in jobs)
    return [a for a in found if a is not None and a.error is None]


def collect_cai_behaviors(config: CaiConfig) -> tuple[list[Behavior], dict[str, str]]:
    """The prompts a CAI run works on (deduplicated, stratified when limited) and their
    hashes, read as a scan reads them."""
    campaign = Campaign(
        suites=config.suites, prompts=config.prompts, limit=config.limit, seed=config.seed
    )
    return collect_behaviors(campaign)


def _principle(config: CaiConfig, behavior: Behavior, stage: str) -> Principle:
    # One seeded draw per prompt and stage, so a resumed run draws the same principle.
    rng = random.Random(f"{config.seed}:{behavior.id}:{stage}")
    return config.constitution.sample(rng)


class CaiRunner:
    """Runs one :class:`CaiConfig` against a run store; see the module docstring."""

    def __init__(self, config: CaiConfig, *, run_id: str, target_name: str, feedback_name: str):
        self.config = config
        self.run_id = run_id
        self.target_name = target_name
        self.feedback_name = feedback_name

    def _job(
        self,
        item: _Item,
        messages: list[Message],
        *,
        stage: str,
        params: dict[str, object],
        generation: GenerationParams,
        epoch: int = 0,
        feedback: bool = False,
    ) -> Job:
        return plan_job(
            item.behavior,
            messages=messages,
            run_id=self.run_id,
            target_name=self.feedback_name if feedback else self.target_name,
            generation=generation,
            seed=self.config.seed,
            epoch=epoch,
            attack=stage,
            attack_params=params,
        )

    def _generation(self, **update: object) -> GenerationParams:
        base = GenerationParams(
            max_tokens=self.config.max_tokens, temperature=self.config.temperature
        )
        return base.model_copy(update=update)

    async def sample(self, items: list[_Item], stages: _Stages) -> None:
        jobs = {
            id(item): self._job(
                item, item.prompt, stage=SAMPLE, params={}, generation=self._generation()
            )
            for item in items
        }
        await stages.send(list(jobs.values()), label="sampling answers")
        for item in items:
            self._take_answer(item, stages.collector, jobs[id(item)])

    def _take_answer(self, item: _Item, collector: _Collector, job: Job) -> bool:
        attempt = collector.attempts.get(job.attempt.id)
        if attempt is None or attempt.error is not None or attempt.response is None:
            item.failed = True
            return False
        item.answers.append(attempt)
        return True

    async def critique(
        self, items: list[_Item], stages: _Stages, *, round_no: int
    ) -> tuple[dict[int, tuple[Principle, Critique]], int]:
        """Critiques of each item's answer; retried at new seeds when unparseable.
        Returns the parsed ones by item and how many stayed unparseable."""
        found: dict[int, tuple[Principle, Critique]] = {}
        waiting = list(items)
        for attempt_no in range(self.config.critique_retries + 1):
            if not waiting:
                break
            generation = self._generation(
                json_schema=CRITIQUE_SCHEMA,
                **({"temperature": self.config.retry_temperature} if attempt_no else {}),
            )
            jobs = {}
            for item in waiting:
                principle = _principle(self.config, item.behavior, f"round-{round_no}")
                params = {"round": round_no, "principle": principle.id, "try": attempt_no}
                messages = critique_messages(item.prompt, item.answer, principle)
                jobs[id(item)] = (
                    principle,
                    self._job(
                        item,
                        messages,
                        stage=CRITIQUE,
                        params=params,
                        generation=generation,
                        epoch=attempt_no,
                    ),
                )
            retry = f" (retry {attempt_no})" if attempt_no else ""
            label = f"round {round_no}: critiques{retry}"
            await stages.send([job for _, job in jobs.values()], label=label)
            still: list[_Item] = []
            for item in waiting:
                principle, job = jobs[id(item)]
                attempt = stages.collector.attempts.get(job.attempt.id)
                if attempt is None or attempt.error is not None:
                    item.failed = True
                    continue
                parsed = parse_critique(attempt.response or "")
                if parsed is None:
                    still.append(item)
                else:
                    found[id(item)] = (principle, parsed)
            waiting = still
        return found, len(waiting)

    async def revise(
        self,
        items: list[_Item],
        critiques: dict[int, tuple[Principle, Critique]],
        stages: _Stages,
        *,
        round_no: int,
    ) -> int:
        """Each critiqued item's revision becomes its answer; returns how many came back
        empty (those keep the answer they had)."""
        jobs: dict[int, Job] = {}
        for item in items:
            if id(item) not in critiques:
                continue
            principle, critique = critiques[id(item)]
            jobs[id(item)] = self._job(
                item,
                revision_messages(item.prompt, item.answer, principle, critique),
                stage=REVISION,
                params={"round": round_no, "principle": principle.id},
                generation=self._generation(),
            )
        await stages.send(list(jobs.values()), label=f"round {round_no}: revisions")
        empty = 0
        for item in items:
            job = jobs.get(id(item))
            if job is None:
                item.answers.append(item.answers[-1])  # no usable critique: answer kept
                continue
            attempt = stages.collector.attempts.get(job.attempt.id)
            if attempt is None or attempt.error is not None:
                item.failed = True
                continue
            principle, critique = critiques[id(item)]
            if not (attempt.response or "").strip():
                empty += 1
                item.answers.append(item.answers[-1])
                continue
            item.answers.append(attempt)
            item.principles.append(
                {"round": round_no, "principle": principle.id, "violates": critique.violates}
            )
        return empty

    async def feedback(
        self, items: list[_Item], stages: _Stages
    ) -> tuple[list[PreferenceRecord], dict[str, int]]:
        """Ask the feedback model, in both orders, which of original and final answer
        better follows a sampled principle; the pairs it decided, and counts."""
        planned: list[tuple[_Item, list[Job]]] = []
        for item in items:
            original, final = item.answers[0].response or "", item.answer
            if original.strip() == final.strip():
                continue
            principle = _principle(self.config, item.behavior, "feedback")

            def plan(messages: list[Message], params: dict[str, object], item: _Item = item) -> Job:
                return self._job(
                    item,
                    messages,
                    stage=FEEDBACK,
                    params=params,
                    generation=GenerationParams(max_tokens=4, temperature=0.0),
                    feedback=True,
                )

            jobs = feedback_jobs(
                item.prompt, original=original, revision=final, principle=principle, plan=plan
            )
            planned.append((item, [job for _, job in jobs]))
        all_jobs = [job for _, jobs in planned for job in jobs]
        await stages.send(all_jobs, label="AI feedback", feedback=True)
        records: list[PreferenceRecord] = []
        counts = {"pairs": len(planned), "undecided": 0, "logprobs": 0, "text": 0, "unreadable": 0}
        for item, jobs in planned:
            votes = [
                FeedbackVote.from_attempt(stages.collector.attempts[job.attempt.id])
                for job in jobs
                if job.attempt.id in stages.collector.attempts
            ]
            for vote in votes:
                counts[vote.source if vote.source != "none" else "unreadable"] += 1
            record = preference_from_votes(
                item.prompt,
                original=item.answers[0].response or "",
                revision=item.answer,
                votes=votes,
                meta=_meta(item),
            )
            if record is None:
                counts["undecided"] += 1
            else:
                records.append(record)
        return records, counts


def _meta(item: _Item) -> dict[str, object]:
    return {
        "behavior_id": item.behavior.id,
        "category": item.behavior.category,
        "expected": item.behavior.expected,
        "source": "cai",
        "revisions": item.principles,
    }


def _open_or_create(
    store: RunStore,
    config: CaiConfig,
    *,
    resume: str | None,
    new_run: bool,
    datasets: dict[str, str],
) -> RunHandle:
    config_hash = config.config_hash()
    if resume is not None:
        handle = store.open(resume)
        if handle.info.config.get("config_hash") != config_hash:
            raise ConfigError(
                f"run {resume} was made by different CAI settings; run the same command "
                "again (it finds its run) or start afresh with --new-run"
            )
        return handle
    if not new_run:
        previous = store.find(config_hash)
        if previous is not None:
            return store.open(previous.id)
    stored = {"kind": "cai", **config.model_dump(mode="json"), "config_hash": config_hash}
    info = RunInfo(id=new_run_id(), config=stored, datasets=datasets)
    return store.create(info)


async def run_cai(
    config: CaiConfig,
    *,
    store: RunStore,
    resume: str | None = None,
    new_run: bool = False,
    progress: bool = True,
    handle_sigint: bool = False,
    out_dir: Path | None = None,
) -> CaiResult:
    """Run (or resume) a Constitutional-AI loop; write SL data, preference pairs and
    the summary into ``out_dir`` (default ``<run>/cai``)."""
    behaviors, sources = collect_cai_behaviors(config)
    scorers = [build_scorer(name) for name in ANSWER_SCORERS]
    settings = config.engine_settings()
    cache_path = response_cache_path(store.root)
    loop = RunLoop.for_target(
        config.target,
        settings=settings,
        cache_path=cache_path,
        progress=progress,
        handle_sigint=handle_sigint,
    )
    feedback_spec = config.feedback_spec()
    feedback_loop = (
        loop
        if feedback_spec == config.target
        else RunLoop.for_target(
            feedback_spec,
            settings=settings,
            cache_path=cache_path,
            progress=progress,
            handle_sigint=handle_sigint,
        )
    )
    try:
        handle = _open_or_create(store, config, resume=resume, new_run=new_run, datasets=sources)
        try:
            return await _run(
                config,
                behaviors,
                handle=handle,
                stages=_Stages(
                    loop=loop,
                    feedback_loop=feedback_loop,
                    collector=_Collector(handle),
                    scorers=scorers,
                ),
                scorers=scorers,
                out_dir=out_dir or handle.path / "cai",
            )
        finally:
            handle.close()
    finally:
        await loop.aclose()
        if feedback_loop is not loop:
            await feedback_loop.aclose()


async def _run(
    config: CaiConfig,
    behaviors: list[Behavior],
    *,
    handle: RunHandle,
    stages: _Stages,
    scorers: list[Scorer],
    out_dir: Path,
) -> CaiResult:
    runner = CaiRunner(
        config,
        run_id=handle.info.id,
        target_name=stages.loop.target.name,
        feedback_name=stages.feedback_loop.target.name,
    )
    items = [
        _Item(behavior=b, prompt=base_messages(b, b.system_prompt or config.target.system_prompt))
        for b in behaviors
    ]
    handle.update(status="running")
    per_round: dict[str, list[int]] = {"unparseable_critiques": [], "empty_revisions": []}
    try:
        await runner.sample(items, stages)
        for round_no in range(1, config.rounds + 1):
            if stages.stopped:
                break
            live = [item for item in items if not item.failed]
            critiques, unparseable = await runner.critique(live, stages, round_no=round_no)
            per_round["unparseable_critiques"].append(unparseable)
            if stages.stopped:
                break
            live = [item for item in live if not item.failed]
            per_round["empty_revisions"].append(
                await runner.revise(live, critiques, stages, round_no=round_no)
            )
        finished = [item for item in items if not item.failed]
        prefs, feedback_counts = ([], {})
        if not stages.stopped:
            prefs, feedback_counts = await runner.feedback(finished, stages)
    except BaseException:
        handle.update(status="failed")
        raise
    engine = accumulated_engine_stats(handle.info.engine_stats, stages.stats)
    if stages.stopped:
        handle.update(status="interrupted", engine_stats=engine)
        return CaiResult(
            run_id=handle.info.id, run_dir=handle.path, status="interrupted", engine=stages.stats
        )
    if not finished:
        # Nothing was measured: calling it "completed" with empty figures would read
        # as a result. The attempts say why (timeouts, auth, ...).
        handle.update(status="failed", engine_stats=engine)
        return CaiResult(
            run_id=handle.info.id, run_dir=handle.path, status="failed", engine=stages.stats
        )
    _catch_up_scores(handle, finished, scorers)
    summary = _summary(config, items, handle, per_round, feedback_counts, prefs)
    out_dir.mkdir(parents=True, exist_ok=True)
    sl_path, prefs_path = out_dir / "sl.jsonl", out_dir / "prefs.jsonl"
    write_records(sl_path, _sl_records(finished))
    write_records(prefs_path, prefs)
    (out_dir / "summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    counts = {"attempts": len(stages.collector.attempts), "prompts": len(items), **summary.counts}
    handle.update(status="completed", counts=counts, engine_stats=engine)
    return CaiResult(
        run_id=handle.info.id,
        run_dir=handle.path,
        status="completed",
        sl_path=sl_path,
        prefs_path=prefs_path,
        summary=summary,
        engine=stages.stats,
    )


def _catch_up_scores(handle: RunHandle, items: list[_Item], scorers: list[Scorer]) -> None:
    """Score answers a killed run recorded but did not score."""
    scored = {(s.attempt_id, s.scorer) for s in handle.read_scores()}
    answers = {a.id: a for item in items for a in item.answers}
    for attempt in answers.values():
        for scorer in scorers:
            if (attempt.id, scorer.name) not in scored:
                handle.append_score(scorer.score(attempt))


def _summary(
    config: CaiConfig,
    items: list[_Item],
    handle: RunHandle,
    per_round: dict[str, list[int]],
    feedback: dict[str, int],
    prefs: list[PreferenceRecord],
) -> CaiSummary:
    scores: dict[str, dict[str, Score]] = {}
    for score in handle.read_scores():
        scores.setdefault(score.attempt_id, {})[score.scorer] = score
    finished = [item for item in items if not item.failed]
    answers = [
        RoundAnswer(
            behavior_id=item.behavior.id,
            expected=item.behavior.expected,
            round=r,
            attempt_id=attempt.id,
        )
        for item in finished
        for r, attempt in enumerate(item.answers)
    ]
    counts = {
        "failed_prompts": len(items) - len(finished),
        "revised_prompts": sum(1 for item in finished if item.principles),
        "revisions": sum(len(item.principles) for item in finished),
        "preference_pairs": len(prefs),
    }
    return summarize_cai(
        answers,
        scores,
        rounds=config.rounds,
        counts=counts,
        per_round=per_round,
        feedback=feedback,
    )


def _sl_records(items: list[_Item]) -> list[CompletionRecord]:
    """SL-CAI data: each revised prompt with its final answer."""
    return [
        CompletionRecord(
            prompt=item.prompt,
            completion=assistant_turn(item.answer),
            meta={**_meta(item), "original": item.answers[0].response or ""},
        )
        for item in items
        if item.principles
    ]
