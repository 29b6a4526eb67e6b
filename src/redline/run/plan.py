"""Planning: the one place attempt ids are made, and a campaign's jobs.

:func:`plan_job` turns a behaviour, the messages to send and where they go
into a :class:`Job` with a content-addressed attempt id; every job of every
kind of run is made by it (plain prompts and attack chains here, injection
cases, regression cases), so ids agree and resume works the same everywhere.

A campaign sends one attempt per behaviour x chain x epoch x sample (``n`` samples for
best-of-N, one otherwise). Attempt ids hash the behaviour, the chain label and
its configured parameters, the target, the generation settings, epoch, seed
and sample, so they are known before converting: a resumed run converts (and
asks the attacker model) only for what is still to do. The converters'
random choices are stored next to the configured parameters in
``attack_params``; the messages stored are exactly those sent.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.attacks.base import AttackResources, CaseGenerator, ConversationDriver
from redline.attacks.compose import AttackChain, AttackSpec, build_chains
from redline.core import (
    Attempt,
    AttemptError,
    Behavior,
    ConfigError,
    GenerationParams,
    Message,
    RedlineError,
    attempt_id,
    content_hash,
)
from redline.engine import Job
from redline.targets import build_target
from redline.targets.spec import TargetSpec


@dataclass
class AttackPlan:
    """Jobs still to run, attempts that failed before sending, and what was already done."""

    pending: list[Job] = field(default_factory=list)
    failed: list[Attempt] = field(default_factory=list)
    done: int = 0

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.failed) + self.done


@dataclass(frozen=True)
class _Slot:
    behavior: Behavior
    chain: AttackChain
    epoch: int
    sample: int
    base_messages: list[Message]
    prompt_hash: str
    system_prompt: str | None


def stratified_sample(behaviors: list[Behavior], limit: int, *, seed: int) -> list[Behavior]:
    """``limit`` behaviours drawn in proportion to expected behaviour, then category.

    Taking the first N would take whatever the file lists first (often only
    harmful prompts of a few categories, leaving over-refusal unmeasured).
    Each side (refuse, comply) gets its share, at least one each when the
    limit allows; within a side each category its share (largest remainder,
    ties broken by ``seed``); within a category the prompts are drawn with
    ``seed``. The result keeps the input order. Same seed, same sample.
    """
    if limit >= len(behaviors):
        return list(behaviors)
    rng = random.Random(seed)
    chosen: set[str] = set()
    by_side = _group(behaviors, key=lambda b: b.expected)
    side_quota = _allocate({k: len(v) for k, v in by_side.items()}, limit, rng)
    if limit >= len(by_side):
        for side in by_side:
            if side_quota[side] == 0:  # never leave a side unmeasured when it fits
                largest = max(side_quota, key=lambda k: side_quota[k])
                side_quota[largest] -= 1
                side_quota[side] = 1
    for side, members in by_side.items():
        by_category = _group(members, key=lambda b: b.category)
        quota = _allocate({k: len(v) for k, v in by_category.items()}, side_quota[side], rng)
        for category, in_category in by_category.items():
            chosen.update(b.id for b in rng.sample(in_category, quota[category]))
    return [b for b in behaviors if b.id in chosen]


def _group(behaviors: list[Behavior], *, key: Any) -> dict[str, list[Behavior]]:
    groups: dict[str, list[Behavior]] = {}
    for behavior in behaviors:
        groups.setdefault(key(behavior), []).append(behavior)
    return groups


def _allocate(sizes: dict[str, int], total: int, rng: random.Random) -> dict[str, int]:
    """Split ``total`` over groups in proportion to their sizes (largest remainder)."""
    whole = sum(sizes.values())
    shares = {k: total * n / whole for k, n in sizes.items()}
    quota = {k: int(share) for k, share in shares.items()}
    # Sorted first so the seeded tie-break does not depend on dict order.
    ties = {k: rng.random() for k in sorted(sizes)}
    by_remainder = sorted(sizes, key=lambda k: (quota[k] - shares[k], ties[k]))
    for k in by_remainder[: total - sum(quota.values())]:
        quota[k] += 1
    return quota


def base_messages(behavior: Behavior, system_prompt: str | None) -> list[Message]:
    """The conversation for a behaviour before any attack: optional system prompt, user prompt."""
    messages = [Message(role="system", content=system_prompt)] if system_prompt else []
    messages.append(Message(role="user", content=behavior.prompt))
    return messages


def plan_job(
    behavior: Behavior,
    *,
    messages: list[Message],
    run_id: str,
    target_name: str,
    generation: GenerationParams,
    seed: int,
    epoch: int,
    attack: str = "none",
    attack_params: dict[str, Any] | None = None,
    prompt_hash: str | None = None,
) -> Job:
    """The job for one attempt; its id is the content address of everything it sends.

    The id hashes the behaviour id, ``messages`` (as planned, before any
    converter rewrites them), the attack and its parameters, the target, the
    generation settings, epoch and seed (``seed + epoch``, also given to the
    target). Same inputs, same id: that is what resuming a run relies on.
    ``prompt_hash`` may be passed when the caller already has it (one per
    behaviour, many epochs).
    """
    attempt_seed = seed + epoch
    params = generation.model_copy(update={"seed": attempt_seed})
    attack_params = attack_params or {}
    if prompt_hash is None:
        prompt_hash = content_hash([m.model_dump() for m in messages])
    attempt = Attempt(
        id=attempt_id(
            behavior_id=behavior.id,
            prompt_hash=prompt_hash,
            attack=attack,
            attack_params=attack_params,
            target=target_name,
            generation=params,
            epoch=epoch,
            seed=attempt_seed,
        ),
        run_id=run_id,
        behavior_id=behavior.id,
        category=behavior.category,
        expected=behavior.expected,
        attack=attack,
        attack_params=attack_params,
        target=target_name,
        epoch=epoch,
        seed=attempt_seed,
        messages=messages,
        tags=behavior.tags,
    )
    return Job(attempt=attempt, params=params)


def _id_params(chain: AttackChain, sample: int) -> dict[str, Any]:
    driver = chain.driver_attack
    params: dict[str, Any] = chain.config_params()
    if isinstance(driver, ConversationDriver):
        # Without attacker/judge models (a dry run) the ids are not needed.
        with contextlib.suppress(ConfigError):
            params = dict(driver.id_params())
    if chain.samples > 1:
        params = {**params, "sample": sample}
    return params


def _slots(
    behaviors: list[Behavior],
    chains: list[AttackChain],
    *,
    epochs: int,
    system_prompt: str | None,
) -> list[_Slot]:
    slots = []
    for behavior in behaviors:
        system = behavior.system_prompt or system_prompt
        messages = base_messages(behavior, system)
        prompt_hash = content_hash([m.model_dump() for m in messages])
        for chain in chains:
            for epoch in range(epochs):
                for sample in range(chain.samples):
                    slots.append(
                        _Slot(
                            behavior=behavior,
                            chain=chain,
                            epoch=epoch,
                            sample=sample,
                            base_messages=messages,
                            prompt_hash=prompt_hash,
                            system_prompt=system,
                        )
                    )
    return slots


def _slot_job(
    slot: _Slot, *, run_id: str, target_name: str, generation: GenerationParams, seed: int
) -> Job:
    return plan_job(
        slot.behavior,
        messages=slot.base_messages,
        run_id=run_id,
        target_name=target_name,
        generation=generation,
        seed=seed,
        epoch=slot.epoch,
        attack=slot.chain.label,
        attack_params=_id_params(slot.chain, slot.sample),
        prompt_hash=slot.prompt_hash,
    )


def injection_jobs(
    injection: CaseGenerator,
    *,
    run_id: str,
    target_name: str,
    generation: GenerationParams,
    seed: int = 0,
    epochs: int = 1,
    limit: int | None = None,
) -> list[Job]:
    """One job per injection case and epoch (an injection attack brings its own cases);
    ``limit`` caps the cases, spread over the attack's goals."""
    return [
        plan_job(
            case.behavior,
            messages=case.messages,
            run_id=run_id,
            target_name=target_name,
            generation=generation,
            seed=seed,
            epoch=epoch,
            attack=injection.name,
            attack_params=case.params,
        )
        for case in injection.cases(seed=seed, limit=limit)
        for epoch in range(epochs)
    ]


async def plan_jobs(
    behaviors: list[Behavior],
    chains: list[AttackChain],
    *,
    run_id: str,
    target_name: str,
    epochs: int,
    seed: int,
    generation: GenerationParams,
    system_prompt: str | None = None,
    done: set[str] | None = None,
    state_dir: Path | None = None,
    convert_async: bool = True,
    limit: int | None = None,
) -> AttackPlan:
    """Convert every behaviour with every chain into jobs, skipping ids in ``done``.

    With no attacks (the chain ``none``) the jobs carry the plain prompts.

    With ``convert_async=False`` (dry runs) converters that call a model are
    not called: their jobs carry the plain prompt, which is enough to count.
    An attacker failure (kind ``attacker_error``) becomes a failed attempt with
    no response, never a refusal or a success.
    """
    done = done or set()
    plan = AttackPlan()
    # Injection attacks bring their own cases (goal x carrier), not one per behaviour.
    case_chains = [c for c in chains if isinstance(c.driver_attack, CaseGenerator)]
    chains = [c for c in chains if c not in case_chains]
    for chain in case_chains:
        injection: CaseGenerator = chain.driver_attack
        for job in injection_jobs(
            injection,
            run_id=run_id,
            target_name=target_name,
            generation=generation,
            seed=seed,
            epochs=epochs,
            limit=limit,
        ):
            if job.attempt.id in done:
                plan.done += 1
            else:
                plan.pending.append(job)
    for slot in _slots(behaviors, chains, epochs=epochs, system_prompt=system_prompt):
        job = _slot_job(
            slot, run_id=run_id, target_name=target_name, generation=generation, seed=seed
        )
        attempt, params = job.attempt, job.params
        if attempt.id in done:
            plan.done += 1
            continue
        driver = slot.chain.driver_attack
        if driver is not None and not convert_async:
            # A dry run counts a multi-turn attack as one request per behaviour.
            plan.pending.append(job)
            continue
        if driver is not None:
            plan.pending.append(driver.job(attempt, params, state_dir=state_dir))
            continue
        if not slot.chain.steps:
            plan.pending.append(job)
            continue
        rng = slot.chain.rng_for(
            seed=attempt.seed, behavior_id=slot.behavior.id, epoch=slot.epoch, sample=slot.sample
        )
        try:
            if convert_async:
                converted = await slot.chain.aapply(slot.behavior.prompt, rng=rng)
            elif slot.chain.needs_attacker:
                plan.pending.append(job)
                continue
            else:
                converted = slot.chain.apply(slot.behavior.prompt, rng=rng)
        except RedlineError as exc:
            kind = getattr(exc, "kind", None)
            if kind != "attacker_error":
                raise
            error = AttemptError(kind="attacker_error", message=str(exc))
            plan.failed.append(attempt.model_copy(update={"error": error}))
            continue
        messages = converted.to_messages(system_prompt=slot.system_prompt)
        stored = {**attempt.attack_params, **converted.params}
        plan.pending.append(
            Job(
                attempt=attempt.model_copy(update={"messages": messages, "attack_params": stored}),
                params=params,
            )
        )
    return plan


def chains_for(
    specs: list[str | AttackSpec], *, resources: Any = None, where: str = "attacks"
) -> list[AttackChain]:
    """Chains from campaign entries (``none`` when there are none)."""
    return build_chains(list(specs) or ["none"], resources=resources, where=where)


def needs_models(chains: list[AttackChain]) -> bool:
    return any(chain.needs_attacker for chain in chains)


def open_attack_resources(
    *,
    attacker: TargetSpec | None,
    judge: TargetSpec | None,
    chains: list[AttackChain],
    timeout: float = 60.0,
    data_dir: Path | None = None,
) -> AttackResources:
    """Build the attacker and judge targets when a chain needs them (by default
    the bundled model); close them with :func:`close_attack_resources`."""
    if not needs_models(chains):
        return AttackResources(data_dir=data_dir)
    attacker_target = build_target(attacker or TargetSpec(), timeout=timeout)
    judge_target = (
        attacker_target
        if (judge or TargetSpec()) == (attacker or TargetSpec())
        else build_target(judge or TargetSpec(), timeout=timeout)
    )
    return AttackResources(attacker=attacker_target, judge=judge_target, data_dir=data_dir)


async def close_attack_resources(resources: AttackResources) -> None:
    closed: list[int] = []
    for target in (resources.attacker, resources.judge):
        if target is not None and id(target) not in closed:
            closed.append(id(target))
            await target.aclose()
