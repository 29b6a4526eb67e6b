"""A campaign's job plan is made lazily: counted up front, jobs made as they are sent."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

import pytest

from redline.core import Behavior, ConfigError, GenerationParams
from redline.engine import Job, RequestTally, estimate
from redline.run import Campaign, collect_behaviors, dry_run, runner
from redline.run.plan import JobPlan, chains_for, plan_jobs

CHAINS = ["none", "homoglyphs+scramble", "best_of_n"]


def behaviors(count: int) -> list[Behavior]:
    return [Behavior(id=f"b{i}", prompt=f"Tell me how to do thing {i}") for i in range(count)]


def job_plan(count: int, *, done: set[str] | None = None, chains: list[str] = CHAINS) -> JobPlan:
    return JobPlan(
        behaviors(count),
        chains_for(chains),
        run_id="r",
        target_name="t",
        epochs=2,
        seed=7,
        generation=GenerationParams(),
        done=done,
    )


def described(jobs: list[Job]) -> list[tuple[str, list[str], dict[str, object]]]:
    return [
        (j.attempt.id, [m.content for m in j.attempt.messages], j.attempt.attack_params)
        for j in jobs
    ]


async def test_a_lazy_plan_makes_the_same_jobs_as_planning_up_front() -> None:
    plan = job_plan(4)
    lazy = [job async for job in plan]
    ahead = await plan_jobs(
        behaviors(4),
        chains_for(CHAINS),
        run_id="r",
        target_name="t",
        epochs=2,
        seed=7,
        generation=GenerationParams(),
    )
    assert described(lazy) == described(ahead.pending)
    # best_of_n draws 8 samples: (1 + 1 + 8) attempts x 2 epochs x 4 behaviours.
    assert plan.total == plan.pending == len(lazy) == 80
    assert plan.done == 0
    # Iterating again makes the same jobs again (a plan holds none of them).
    assert described([job async for job in plan]) == described(lazy)


async def test_a_resumed_plan_counts_and_skips_what_was_recorded() -> None:
    every = [job async for job in job_plan(4)]
    recorded = {job.attempt.id for job in every[::3]} | {"an-id-of-another-campaign"}
    plan = job_plan(4, done=recorded)
    rest = [job async for job in plan]
    assert plan.done == 27
    assert plan.pending == len(rest) == 53
    assert [j.attempt.id for j in rest] == [
        j.attempt.id for j in every if j.attempt.id not in recorded
    ]


def live_jobs(run_id: str) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Job) and o.attempt.run_id == run_id)


async def test_jobs_are_made_as_they_are_sent_and_not_held() -> None:
    plan = JobPlan(
        behaviors(2000),
        chains_for(["none"]),
        run_id="lazy-run",
        target_name="t",
        epochs=2,
        seed=7,
        generation=GenerationParams(),
    )
    assert live_jobs("lazy-run") == 0  # counted without making a job
    sent = 0
    async for _job in plan:
        sent += 1
        if sent == 3000:
            # Only the job in hand (and none of the 2,999 before it) is alive.
            assert live_jobs("lazy-run") <= 2
    assert sent == plan.pending == 4000


def test_known_jobs_are_the_jobs_made_without_a_model() -> None:
    plan = job_plan(3)
    known = list(plan.known_jobs())
    assert len(known) == plan.pending  # none of these chains calls a model
    assert described(list(plan)) == described(known)


def test_a_plan_whose_converters_call_a_model_cannot_be_made_synchronously() -> None:
    plan = job_plan(2, chains=["none", "context.translate"])
    assert plan.needs_models
    assert len(list(plan.known_jobs())) == 2 * 2  # only the plain prompts' jobs
    with pytest.raises(ConfigError, match="async for"):
        list(plan)


def prompts_campaign(tmp_path: Path, count: int, *, chains: list[str]) -> Campaign:
    prompts = tmp_path / "prompts.jsonl"
    rows = (
        json.dumps({"id": f"p{i}", "prompt": f"Tell me how to do thing {i}"}) for i in range(count)
    )
    prompts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return Campaign(prompts=[prompts], attacks=list(chains), epochs=2, seed=7)


def test_a_dry_run_counts_what_the_plan_made_up_front_sends(tmp_path: Path) -> None:
    campaign = prompts_campaign(tmp_path, 30, chains=CHAINS)
    behaviors, _ = collect_behaviors(campaign)
    ahead = asyncio.run(
        plan_jobs(
            behaviors,
            chains_for(CHAINS),
            run_id="dry-run",
            target_name=campaign.target.display_name(),
            epochs=2,
            seed=7,
            generation=campaign.generation,
            convert_async=False,
        )
    )
    counted = dry_run(campaign, check_models=False)
    assert counted == estimate(ahead.pending)
    assert counted.requests == 30 * (1 + 1 + 8) * 2


def test_a_dry_run_counts_each_job_without_holding_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    most_alive = 0

    class WatchedTally(RequestTally):
        def add(self, job: Job) -> None:
            nonlocal most_alive
            super().add(job)
            if self.requests % 1000 == 0:
                most_alive = max(most_alive, live_jobs("dry-run"))

    monkeypatch.setattr(runner, "RequestTally", WatchedTally)
    counted = dry_run(prompts_campaign(tmp_path, 2000, chains=["none"]), check_models=False)
    assert counted.requests == 4000
    # Only the job being counted is alive, never the 999 counted before it.
    assert 1 <= most_alive <= 2
