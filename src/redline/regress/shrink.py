"""Shrinking a case's conversation to the smallest one that still fails.

The conversation is cut into units: the system message, and each earlier
exchange (a user message with the replies that follow it). The last user
message always stays. Oldest first, each unit is dropped if the case still
fails without it (the greedy pass of delta debugging: linear in the number of
units, and the result is 1-minimal when the target is deterministic). A case
"fails" when at least one of ``trials`` samples does not meet its expected
behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from redline.core import ConfigError, GenerationParams, Message, RedlineError
from redline.regress.replay import replay
from redline.regress.suite_file import RegressionCase, RegressionSuite
from redline.run import EngineSettings, RunLoop
from redline.targets.spec import TargetSpec


def conversation_units(messages: list[Message]) -> list[list[Message]]:
    """Removable units of a conversation, oldest first (the final user message excluded)."""
    head = messages[:-1]
    units: list[list[Message]] = []
    for message in head:
        if message.role == "system" or message.role == "user" or not units:
            units.append([message])
        else:
            units[-1].append(message)
    return units


@dataclass(slots=True)
class ShrinkOutcome:
    """A shrunk (or unchanged) case and how many replays it took."""

    case: RegressionCase
    reproduced: bool
    replays: int
    removed_messages: int
    errors: int = 0


async def shrink_case(
    case: RegressionCase,
    *,
    loop: RunLoop,
    generation: GenerationParams,
    trials: int = 1,
) -> ShrinkOutcome:
    """Replay ``case``; if it fails, drop every unit it still fails without."""
    replays = 0
    errors = 0

    async def fails(messages: list[Message]) -> bool:
        nonlocal replays, errors
        replays += 1
        samples = await replay(case, loop, epochs=trials, generation=generation, messages=messages)
        errors += sum(1 for s in samples if s.passed is None)
        if all(s.passed is None for s in samples):
            first = samples[0].attempt.error if samples else None
            detail = f"{first.kind}: {first.message}" if first else "no reply"
            raise RedlineError(f"case {case.id}: the target gave no reply to replay ({detail})")
        return any(s.passed is False for s in samples)

    original = list(case.messages)
    if not await fails(original):
        updated = case.model_copy(update={"reproduced": False})
        return ShrinkOutcome(updated, False, replays, 0, errors)
    units = conversation_units(original)
    final = original[-1]
    keep = [True] * len(units)
    for index in range(len(units)):
        keep[index] = False
        trial = [m for k, unit in enumerate(units) if keep[k] for m in unit] + [final]
        if not await fails(trial):
            keep[index] = True
    shrunk = [m for k, unit in enumerate(units) if keep[k] for m in unit] + [final]
    removed = len(original) - len(shrunk)
    update: dict[str, object] = {"reproduced": True, "messages": shrunk}
    if removed:
        update["shrunk_from"] = len(original)
    return ShrinkOutcome(case.model_copy(update=update), True, replays, removed, errors)


async def shrink_suite(
    suite: RegressionSuite,
    *,
    target: TargetSpec,
    generation: GenerationParams,
    trials: int = 1,
    case_ids: set[str] | None = None,
    settings: EngineSettings | None = None,
    cache_path: Path | None = None,
) -> tuple[RegressionSuite, list[ShrinkOutcome]]:
    """Shrink every case (or those in ``case_ids``) against one target, through one run loop.

    Returns the suite with the shrunk cases and a new revision, and an outcome
    per case shrunk. The loop's budget and cache span every replay.
    """
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    for case_id in case_ids or ():
        suite.case(case_id)  # an unknown id is an error before anything is sent
    settings = settings or EngineSettings(concurrency=min(trials, 8), cache=False)
    outcomes: list[ShrinkOutcome] = []
    cases: list[RegressionCase] = []
    async with RunLoop.for_target(target, settings=settings, cache_path=cache_path) as loop:
        for case in suite.cases:
            if case_ids and case.id not in case_ids:
                cases.append(case)
                continue
            outcome = await shrink_case(case, loop=loop, generation=generation, trials=trials)
            outcomes.append(outcome)
            cases.append(outcome.case)
    updated = suite.model_copy(update={"cases": cases, "revision": suite.revision + 1})
    return updated, outcomes
