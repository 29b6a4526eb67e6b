"""Turning a campaign's behaviours and attack chains into executor jobs.

One attempt per behaviour x chain x epoch x sample (``n`` samples for
best-of-N, one otherwise). Attempt ids hash the behaviour, the chain label and
its configured parameters, the target, the generation settings, epoch, seed
and sample, so they are known before converting: a resumed run converts (and
asks the attacker model) only for what is still to do. The converters'
random choices are stored next to the configured parameters in
``attack_params``; the messages stored are exactly those sent.
"""

from __future__ import annotations

import contextlib
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
    seed: int
    params: GenerationParams
    base_messages: list[Message]
    prompt_hash: str
    system_prompt: str | None


def _base_messages(behavior: Behavior, system_prompt: str | None) -> list[Message]:
    messages = [Message(role="system", content=system_prompt)] if system_prompt else []
    messages.append(Message(role="user", content=behavior.prompt))
    return messages


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
    seed: int,
    generation: GenerationParams,
    system_prompt: str | None,
) -> list[_Slot]:
    slots = []
    for behavior in behaviors:
        system = behavior.system_prompt or system_prompt
        messages = _base_messages(behavior, system)
        prompt_hash = content_hash([m.model_dump() for m in messages])
        for chain in chains:
            for epoch in range(epochs):
                params = generation.model_copy(update={"seed": seed + epoch})
                for sample in range(chain.samples):
                    slots.append(
                        _Slot(
                            behavior=behavior,
                            chain=chain,
                            epoch=epoch,
                            sample=sample,
                            seed=seed + epoch,
                            params=params,
                            base_messages=messages,
                            prompt_hash=prompt_hash,
                            system_prompt=system,
                        )
                    )
    return slots


def _attempt(slot: _Slot, *, run_id: str, target_name: str) -> Attempt:
    id_params = _id_params(slot.chain, slot.sample)
    return Attempt(
        id=attempt_id(
            behavior_id=slot.behavior.id,
            prompt_hash=slot.prompt_hash,
            attack=slot.chain.label,
            attack_params=id_params,
            target=target_name,
            generation=slot.params,
            epoch=slot.epoch,
            seed=slot.seed,
        ),
        run_id=run_id,
        behavior_id=slot.behavior.id,
        category=slot.behavior.category,
        expected=slot.behavior.expected,
        attack=slot.chain.label,
        attack_params=id_params,
        target=target_name,
        epoch=slot.epoch,
        seed=slot.seed,
        messages=slot.base_messages,
        tags=slot.behavior.tags,
    )


async def plan_attack_jobs(
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
        for job in injection.jobs(
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
    for slot in _slots(
        behaviors,
        chains,
        epochs=epochs,
        seed=seed,
        generation=generation,
        system_prompt=system_prompt,
    ):
        attempt = _attempt(slot, run_id=run_id, target_name=target_name)
        if attempt.id in done:
            plan.done += 1
            continue
        driver = slot.chain.driver_attack
        if driver is not None and not convert_async:
            # A dry run counts a multi-turn attack as one request per behaviour.
            plan.pending.append(Job(attempt=attempt, params=slot.params))
            continue
        if driver is not None:
            plan.pending.append(driver.job(attempt, slot.params, state_dir=state_dir))
            continue
        if not slot.chain.steps:
            plan.pending.append(Job(attempt=attempt, params=slot.params))
            continue
        rng = slot.chain.rng_for(
            seed=slot.seed, behavior_id=slot.behavior.id, epoch=slot.epoch, sample=slot.sample
        )
        try:
            if convert_async:
                converted = await slot.chain.aapply(slot.behavior.prompt, rng=rng)
            elif slot.chain.needs_attacker:
                plan.pending.append(Job(attempt=attempt, params=slot.params))
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
                params=slot.params,
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
