"""Preference pairs from red-team runs: the run's scorers decide which answer is chosen.

Every scored response to a prompt is a *candidate*. On a harmful prompt
(``expected: refuse``) a response the harm scorer judged a success is a
rejected answer, and a refusal (or, after refusals, an answer the harm scorer
passed) is a chosen one. On a benign prompt (``expected: comply``) a complying,
harmless answer is chosen and a refusal is rejected: an over-refusal. A run
alone seldom has both sides for one prompt, so a second target (``--responder``,
e.g. the same model with a safety system prompt, or a stronger model) answers
the same conversations through :mod:`redline.run` and the same scorers judge
its answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redline.alignment.prefs import (
    DEFAULT_TEST_FRACTION,
    PairKind,
    PreferencePair,
    Turn,
    assign_splits,
    deduplicate,
    fold_whitespace,
)
from redline.core import Attempt, Behavior, GenerationParams, Message, Score, content_hash
from redline.core.outcome import Outcome, is_refusal, outcome_of, speaks_refusal
from redline.engine import Job
from redline.run import EngineSettings, MemoryRecorder, RunLoop, plan_job
from redline.scoring import Scorer
from redline.scoring.base import registered_positive_labels
from redline.store import RunHandle
from redline.targets.spec import TargetSpec

RESPONDER_RUN_ID = "prefs-responder"
DEFAULT_MAX_PAIRS_PER_PROMPT = 4


@dataclass(frozen=True)
class Candidate:
    """One scored answer to one prompt conversation.

    ``harmful``: a scorer outside the refusal vocabulary (harm classifier or
    judge, canary, leakage...) judged the attack a success; ``refused``: the
    refusal scorer heard a full or partial refusal. ``None``: no such scorer.
    """

    prompt: tuple[Turn, ...]
    response: str
    source: str
    behavior_id: str
    category: str
    expected: str
    harmful: bool | None
    refused: bool | None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def prompt_key(self) -> str:
        return content_hash([[t.role, t.content] for t in self.prompt])

    @property
    def label_text(self) -> str:
        return ",".join(f"{scorer}={label}" for scorer, label in self.labels)


@dataclass
class CandidateSkips:
    """Attempts that could not become candidates, by reason."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1


def verdicts(scores: Iterable[Score]) -> tuple[bool | None, bool | None]:
    """(harmful, refused) from one attempt's scores (see :class:`Candidate`)."""
    harmful: bool | None = None
    refused: bool | None = None
    for score in scores:
        if speaks_refusal(score.label):
            refused = bool(refused) or is_refusal(score.label)
            continue
        outcome = outcome_of(score.label, registered_positive_labels(score.scorer))
        if outcome is Outcome.NOT_APPLICABLE:
            continue  # a judge error says nothing either way
        harmful = bool(harmful) or outcome is Outcome.SUCCESS
    return harmful, refused


def prompt_turns(attempt: Attempt) -> tuple[Turn, ...] | None:
    """The conversation an attempt sent, as text turns; None when it carried
    images or tool messages (a text preference pair cannot hold them)."""
    turns = []
    for message in attempt.messages:
        if message.role not in ("system", "user", "assistant") or message.has_images:
            return None
        if message.tool_calls:
            return None
        turns.append(Turn(role=message.role, content=message.content))
    return tuple(turns) if turns else None


def candidate_from_attempt(
    attempt: Attempt, scores: Sequence[Score], skips: CandidateSkips
) -> Candidate | None:
    """The candidate an attempt gives, or None (counted in ``skips`` with why)."""
    if not attempt.ok or not (attempt.response or "").strip():
        skips.add("error or empty response")
        return None
    turns = prompt_turns(attempt)
    if turns is None:
        skips.add("images or tool messages")
        return None
    if not scores:
        skips.add("not scored")
        return None
    harmful, refused = verdicts(scores)
    return Candidate(
        prompt=turns,
        response=attempt.response or "",
        source=attempt.target,
        behavior_id=attempt.behavior_id,
        category=attempt.category,
        expected=attempt.expected,
        harmful=harmful,
        refused=refused,
        labels=tuple(sorted((s.scorer, s.label) for s in scores)),
    )


def candidates_from_attempts(
    results: Iterable[tuple[Attempt, Sequence[Score]]], skips: CandidateSkips
) -> list[Candidate]:
    """Candidates from attempts with their scores."""
    found = (candidate_from_attempt(a, s, skips) for a, s in results)
    return [c for c in found if c is not None]


def candidates_from_run(handle: RunHandle, skips: CandidateSkips) -> list[Candidate]:
    """Every usable scored answer in a stored run."""
    by_attempt: dict[str, list[Score]] = {}
    for score in handle.read_scores():
        by_attempt.setdefault(score.attempt_id, []).append(score)
    return candidates_from_attempts(
        ((a, by_attempt.get(a.id, [])) for a in handle.read_attempts()), skips
    )


# --- a second target answers the same prompts -------------------------------------


def responder_jobs(
    candidates: Sequence[Candidate], *, target_name: str, generation: GenerationParams
) -> list[tuple[Candidate, Job]]:
    """One job per distinct prompt conversation among ``candidates``."""
    jobs = []
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.prompt_key in seen:
            continue
        seen.add(candidate.prompt_key)
        behavior = Behavior(
            id=candidate.behavior_id,
            prompt=candidate.prompt[-1].content,
            category=candidate.category,
            expected="refuse" if candidate.expected == "refuse" else "comply",
        )
        messages = [Message(role=t.role, content=t.content) for t in candidate.prompt]
        job = plan_job(
            behavior,
            messages=messages,
            run_id=RESPONDER_RUN_ID,
            target_name=target_name,
            generation=generation,
            seed=0,
            epoch=0,
        )
        jobs.append((candidate, job))
    return jobs


async def responder_candidates(
    candidates: Sequence[Candidate],
    *,
    responder: TargetSpec,
    scorers: Sequence[Scorer],
    generation: GenerationParams,
    settings: EngineSettings,
    cache_path: Path | None,
    progress: bool,
    skips: CandidateSkips,
) -> list[Candidate]:
    """``responder``'s scored answers to every distinct prompt among ``candidates``."""
    planned = responder_jobs(
        candidates, target_name=responder.display_name(), generation=generation
    )
    recorder = MemoryRecorder()
    loop = RunLoop.for_target(
        responder, settings=settings, cache_path=cache_path, progress=progress
    )
    async with loop:
        await loop.send(
            [job for _, job in planned],
            scorers_for=lambda attempt: scorers,
            recorder=recorder,
        )
    return candidates_from_attempts(recorder.results, skips)


# --- pairing -----------------------------------------------------------------------


def chosen_rank(candidate: Candidate, *, safe_completions: bool) -> int | None:
    """How good a chosen answer ``candidate`` is (0 best), or None if it cannot be chosen."""
    if candidate.expected == "refuse":
        if candidate.harmful:
            return None
        if candidate.refused:
            return 0
        # Passed by a harm scorer without refusing: a safe completion, if allowed.
        return 1 if safe_completions and candidate.harmful is False else None
    if candidate.refused is False and not candidate.harmful:
        return 0
    return None


def is_rejectable(candidate: Candidate) -> bool:
    """Whether ``candidate`` is the answer a safe, helpful model should not give."""
    if candidate.expected == "refuse":
        if candidate.harmful is None:
            # No harm scorer in the run: compliance with a harmful request is the failure.
            return candidate.refused is False
        return bool(candidate.harmful)
    return bool(candidate.refused)


@dataclass
class PairingCounts:
    """How many prompts of each kind gave pairs, and why the others did not."""

    prompts: dict[str, int] = field(default_factory=dict)
    paired_prompts: dict[str, int] = field(default_factory=dict)
    no_chosen: dict[str, int] = field(default_factory=dict)
    no_rejected: dict[str, int] = field(default_factory=dict)


def _bump(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def pairs_from_candidates(
    candidates: Iterable[Candidate],
    *,
    source: str,
    max_pairs_per_prompt: int = DEFAULT_MAX_PAIRS_PER_PROMPT,
    safe_completions: bool = True,
    counts: PairingCounts | None = None,
) -> list[PreferencePair]:
    """Pair each prompt's chosen answers (best first) with its rejected ones."""
    counts = counts if counts is not None else PairingCounts()
    by_prompt: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_prompt.setdefault(candidate.prompt_key, []).append(candidate)
    pairs = []
    for group in by_prompt.values():
        kind: PairKind = "harmful" if group[0].expected == "refuse" else "benign"
        _bump(counts.prompts, kind)
        ranked = sorted(
            (r, i, c)
            for i, c in enumerate(group)
            if (r := chosen_rank(c, safe_completions=safe_completions)) is not None
        )
        chosen = _distinct([c for _, _, c in ranked])
        rejected = _distinct([c for c in group if is_rejectable(c)])
        if not chosen:
            _bump(counts.no_chosen, kind)
        if not rejected:
            _bump(counts.no_rejected, kind)
        if not chosen or not rejected:
            continue
        _bump(counts.paired_prompts, kind)
        for good, bad in itertools.islice(
            itertools.product(chosen, rejected), max_pairs_per_prompt
        ):
            if fold_whitespace(good.response) != fold_whitespace(bad.response):
                pairs.append(_pair(good, bad, kind=kind, source=source))
    return pairs


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    unique = []
    for candidate in candidates:
        if candidate.response.strip() not in seen:
            seen.add(candidate.response.strip())
            unique.append(candidate)
    return unique


def _pair(good: Candidate, bad: Candidate, *, kind: PairKind, source: str) -> PreferencePair:
    return PreferencePair(
        prompt=list(good.prompt),
        chosen=good.response,
        rejected=bad.response,
        family=good.behavior_id,
        kind=kind,
        category=good.category,
        source=source,
        chosen_from=good.source,
        rejected_from=bad.source,
        chosen_label=good.label_text,
        rejected_label=bad.label_text,
    )


@dataclass
class BuildResult:
    """What :func:`build_preferences` made and what it could not use."""

    pairs: list[PreferencePair]
    counts: PairingCounts
    skips: CandidateSkips
    candidates: dict[str, int]
    duplicates: int


@dataclass(frozen=True)
class Responder:
    """The second target and how it is asked: the run's generation settings, its scorers."""

    spec: TargetSpec
    scorers: Sequence[Scorer]
    generation: GenerationParams
    settings: EngineSettings
    cache_path: Path | None = None


async def build_preferences(
    handles: Sequence[RunHandle],
    *,
    responder: Responder | None = None,
    max_pairs_per_prompt: int = DEFAULT_MAX_PAIRS_PER_PROMPT,
    safe_completions: bool = True,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
    progress: bool = False,
) -> BuildResult:
    """Pairs from the scored answers in ``handles`` (and ``responder``'s answers to the
    same prompts), deduplicated and split by behaviour."""
    skips = CandidateSkips()
    candidates: list[Candidate] = []
    for handle in handles:
        candidates.extend(candidates_from_run(handle, skips))
    by_source: dict[str, int] = {}
    for candidate in candidates:
        _bump(by_source, candidate.source)
    if responder is not None and candidates:
        answered = await responder_candidates(
            candidates,
            responder=responder.spec,
            scorers=responder.scorers,
            generation=responder.generation,
            settings=responder.settings,
            cache_path=responder.cache_path,
            progress=progress,
            skips=skips,
        )
        for candidate in answered:
            _bump(by_source, f"responder {candidate.source}")
        candidates.extend(answered)
    counts = PairingCounts()
    source = "run:" + ",".join(h.id for h in handles)
    made = pairs_from_candidates(
        candidates,
        source=source,
        max_pairs_per_prompt=max_pairs_per_prompt,
        safe_completions=safe_completions,
        counts=counts,
    )
    unique = deduplicate(made)
    return BuildResult(
        pairs=assign_splits(unique, test_fraction=test_fraction, seed=seed),
        counts=counts,
        skips=skips,
        candidates=by_source,
        duplicates=len(made) - len(unique),
    )
