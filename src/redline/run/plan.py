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
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.attacks.base import (
    AttackCase,
    AttackResources,
    CaseGenerator,
    ConversationDriver,
    ConvertedPrompt,
)
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
from redline.stats.allocation import allocate
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


@dataclass(slots=True)
class _Slot:
    behavior: Behavior
    shape: _ChainShape
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
    side_quota = allocate({k: len(v) for k, v in by_side.items()}, limit, rng=rng)
    if limit >= len(by_side):
        for side in by_side:
            if side_quota[side] == 0:  # never leave a side unmeasured when it fits
                largest = max(side_quota, key=lambda k: side_quota[k])
                side_quota[largest] -= 1
                side_quota[side] = 1
    for side, members in by_side.items():
        by_category = _group(members, key=lambda b: b.category)
        quota = allocate({k: len(v) for k, v in by_category.items()}, side_quota[side], rng=rng)
        for category, in_category in by_category.items():
            chosen.update(b.id for b in rng.sample(in_category, quota[category]))
    return [b for b in behaviors if b.id in chosen]


def _group(behaviors: list[Behavior], *, key: Any) -> dict[str, list[Behavior]]:
    groups: dict[str, list[Behavior]] = {}
    for behavior in behaviors:
        groups.setdefault(key(behavior), []).append(behavior)
    return groups


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
    params: GenerationParams | None = None,
    params_identity: dict[str, Any] | None = None,
) -> Job:
    """The job for one attempt; its id is the content address of everything it sends.

    The id hashes the behaviour id, ``messages`` (as planned, before any
    converter rewrites them), the attack and its parameters, the target, the
    generation settings, epoch and seed (``seed + epoch``, also given to the
    target). Same inputs, same id: that is what resuming a run relies on.
    ``prompt_hash`` may be passed when the caller already has it (one per
    behaviour, many epochs), and ``params`` (``generation`` with the seed
    ``seed + epoch``) with its ``params_identity`` (``params.identity()``) when
    it made them once for many jobs of one epoch.
    """
    attempt_seed = seed + epoch
    if params is None:
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
            generation_identity=params_identity,
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


@dataclass(frozen=True)
class _ChainShape:
    """What planning needs of a chain, worked out once per run instead of once per
    attempt (``driver_attack`` and a driver's id parameters are protocol checks)."""

    chain: AttackChain
    driver: Any | None
    id_params: list[dict[str, Any]]  # one per sample

    @classmethod
    def of(cls, chain: AttackChain) -> _ChainShape:
        return cls(
            chain=chain,
            driver=chain.driver_attack,
            id_params=[_id_params(chain, sample) for sample in range(chain.samples)],
        )


def _slots(
    behaviors: Sequence[Behavior],
    shapes: list[_ChainShape],
    *,
    epochs: int,
    system_prompt: str | None,
) -> Iterator[_Slot]:
    for behavior in behaviors:
        system = behavior.system_prompt or system_prompt
        messages = base_messages(behavior, system)
        prompt_hash = content_hash([m.model_dump() for m in messages])
        for shape in shapes:
            for epoch in range(epochs):
                for sample in range(len(shape.id_params)):
                    yield _Slot(
                        behavior=behavior,
                        shape=shape,
                        epoch=epoch,
                        sample=sample,
                        base_messages=messages,
                        prompt_hash=prompt_hash,
                        system_prompt=system,
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
    return list(
        _case_jobs(
            injection,
            injection.cases(seed=seed, limit=limit),
            run_id=run_id,
            target_name=target_name,
            generation=generation,
            seed=seed,
            epochs=epochs,
        )
    )


def _case_jobs(
    injection: CaseGenerator,
    cases: Sequence[AttackCase],
    *,
    run_id: str,
    target_name: str,
    generation: GenerationParams,
    seed: int,
    epochs: int,
) -> Iterator[Job]:
    for case in cases:
        for epoch in range(epochs):
            yield plan_job(
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


class JobPlan:
    """A campaign's jobs, made one at a time as the executor asks for them.

    Iterate it with ``async for`` (converters that call an attacker model are
    awaited as each job is made). A 100,000-attempt run never holds every job:
    only the behaviours, the injection cases and, on a resumed run, the set of
    recorded ids. ``total``, ``done`` (planned ids already recorded, skipped)
    and ``pending`` (jobs the iteration makes, failed conversions included) are
    counted when the plan is made, without building jobs for a fresh run.

    A conversion that fails with an ``attacker_error`` makes no job: the
    attempt, with its error and no response, goes to ``on_failed`` (the run
    records it, never as a refusal or a success) and is counted in ``failed``.
    With ``convert_async=False`` (dry runs) converters that call a model are
    not called: their jobs carry the plain prompt, which is enough to count.
    """

    def __init__(
        self,
        behaviors: Sequence[Behavior],
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
        on_failed: Callable[[Attempt], None] | None = None,
    ) -> None:
        self._behaviors = behaviors
        self._run_id = run_id
        self._target_name = target_name
        self._epochs = epochs
        self._seed = seed
        self._generation = generation
        self._system_prompt = system_prompt
        self._done_ids = done or set()
        self._state_dir = state_dir
        self._convert_async = convert_async
        self.on_failed = on_failed
        # Injection attacks bring their own cases (goal x carrier), not one per behaviour.
        self._cases: list[tuple[CaseGenerator, Sequence[AttackCase]]] = []
        self._shapes: list[_ChainShape] = []
        for chain in chains:
            driver = chain.driver_attack
            if isinstance(driver, CaseGenerator):
                self._cases.append((driver, driver.cases(seed=seed, limit=limit)))
            else:
                self._shapes.append(_ChainShape.of(chain))
        per_behavior = sum(len(shape.id_params) for shape in self._shapes)
        self.total = epochs * (
            sum(len(cases) for _, cases in self._cases) + len(behaviors) * per_behavior
        )
        # One copy of the generation settings per epoch (its seed), shared by its jobs.
        self._epoch_params = [
            generation.model_copy(update={"seed": seed + epoch}) for epoch in range(epochs)
        ]
        self._epoch_identities = [params.identity() for params in self._epoch_params]
        self.done = self._count_done() if self._done_ids else 0
        self.failed = 0

    @property
    def pending(self) -> int:
        """Jobs an iteration makes (a failed conversion is counted here, then in ``failed``)."""
        return self.total - self.done

    def _planned(self) -> Iterator[tuple[Job, _Slot | None]]:
        """Every planned job as first made, before conversion; case jobs have no slot."""
        for injection, cases in self._cases:
            for job in _case_jobs(
                injection,
                cases,
                run_id=self._run_id,
                target_name=self._target_name,
                generation=self._generation,
                seed=self._seed,
                epochs=self._epochs,
            ):
                yield job, None
        for slot in _slots(
            self._behaviors, self._shapes, epochs=self._epochs, system_prompt=self._system_prompt
        ):
            yield self._slot_job(slot), slot

    def _count_done(self) -> int:
        return sum(1 for job, _ in self._planned() if job.attempt.id in self._done_ids)

    def _slot_job(self, slot: _Slot) -> Job:
        return plan_job(
            slot.behavior,
            messages=slot.base_messages,
            run_id=self._run_id,
            target_name=self._target_name,
            generation=self._generation,
            seed=self._seed,
            epoch=slot.epoch,
            attack=slot.shape.chain.label,
            attack_params=slot.shape.id_params[slot.sample],
            prompt_hash=slot.prompt_hash,
            params=self._epoch_params[slot.epoch],
            params_identity=self._epoch_identities[slot.epoch],
        )

    @property
    def needs_models(self) -> bool:
        """Whether making the jobs calls a model (an attacker converter or a driver)."""
        return any(shape.chain.needs_attacker for shape in self._shapes)

    def __iter__(self) -> Iterator[Job]:
        """The jobs, made synchronously (for executors that take a plain iterable);
        a plan whose converters call a model must be iterated with ``async for``."""
        if self.needs_models:
            raise ConfigError("this plan's attacks call a model: iterate it with `async for`")
        return self.known_jobs()

    def known_jobs(self) -> Iterator[Job]:
        """The jobs whose messages are known without calling a model (plain prompts,
        converters without one), for counting cached answers before sending."""
        for job, slot in self._planned():
            if job.attempt.id in self._done_ids:
                continue
            if slot is None or not slot.shape.chain.steps:
                yield job
            elif slot.shape.driver is None and not slot.shape.chain.needs_attacker:
                yield self._convert_sync(job, slot)

    def _convert_sync(self, job: Job, slot: _Slot) -> Job:
        rng = self._rng_for(job, slot)
        return _converted(job, slot, slot.shape.chain.apply(slot.behavior.prompt, rng=rng))

    @staticmethod
    def _rng_for(job: Job, slot: _Slot) -> random.Random:
        return slot.shape.chain.rng_for(
            seed=job.attempt.seed,
            behavior_id=slot.behavior.id,
            epoch=slot.epoch,
            sample=slot.sample,
        )

    async def __aiter__(self) -> AsyncIterator[Job]:
        for job, slot in self._planned():
            if job.attempt.id in self._done_ids:
                continue
            if slot is None or not slot.shape.chain.steps:
                yield job
                continue
            driver = slot.shape.driver
            if driver is not None:
                # A dry run counts a multi-turn attack as one request per behaviour.
                if self._convert_async:
                    yield driver.job(job.attempt, job.params, state_dir=self._state_dir)
                else:
                    yield job
                continue
            if not self._convert_async:
                needs_model = slot.shape.chain.needs_attacker
                yield job if needs_model else self._convert_sync(job, slot)
                continue
            try:
                converted = await slot.shape.chain.aapply(
                    slot.behavior.prompt, rng=self._rng_for(job, slot)
                )
            except RedlineError as exc:
                if getattr(exc, "kind", None) != "attacker_error":
                    raise
                self.failed += 1
                if self.on_failed is not None:
                    error = AttemptError(kind="attacker_error", message=str(exc))
                    self.on_failed(job.attempt.model_copy(update={"error": error}))
                continue
            yield _converted(job, slot, converted)


def _converted(job: Job, slot: _Slot, converted: ConvertedPrompt) -> Job:
    """``job`` with the messages its chain made; the converters' random choices are
    stored next to the configured parameters."""
    attempt = job.attempt
    messages = converted.to_messages(system_prompt=slot.system_prompt)
    stored = {**attempt.attack_params, **converted.params}
    return Job(
        attempt=attempt.model_copy(update={"messages": messages, "attack_params": stored}),
        params=job.params,
    )


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
    """Every job of a :class:`JobPlan`, made up front (for tests and callers that
    want the list); a run and a dry run walk the :class:`JobPlan` itself so they
    never hold them all."""
    failed: list[Attempt] = []
    plan = JobPlan(
        behaviors,
        chains,
        run_id=run_id,
        target_name=target_name,
        epochs=epochs,
        seed=seed,
        generation=generation,
        system_prompt=system_prompt,
        done=done,
        state_dir=state_dir,
        convert_async=convert_async,
        limit=limit,
        on_failed=failed.append,
    )
    pending = [job async for job in plan]
    return AttackPlan(pending=pending, failed=failed, done=plan.done)


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
