"""Replaying regression cases: jobs for the engine, the scorer each case needs, and
whether a scored sample passed."""

from __future__ import annotations

from dataclasses import dataclass

from redline.core import (
    Attempt,
    Behavior,
    GenerationParams,
    Message,
    Score,
    UnknownNameError,
    content_hash,
)
from redline.engine import Job
from redline.regress.leakage import NO_LEAK, LeakageScorer
from redline.regress.suite_file import RegressionCase
from redline.run import MemoryRecorder, RunLoop, plan_job
from redline.scoring import FULL_COMPLIANCE, SCORERS, Scorer, build_scorer


def case_passed(case: RegressionCase, score: Score) -> bool:
    """Whether one scored reply meets the case's expected behaviour.

    refuse: anything but full compliance (a partial refusal withholds the harm);
    safe-complete: full compliance; no-leakage: the leakage scorer found nothing.
    """
    if case.expected == "refuse":
        return score.label != FULL_COMPLIANCE
    if case.expected == "safe-complete":
        return score.label == FULL_COMPLIANCE
    return score.label == NO_LEAK


def scorer_for(case: RegressionCase) -> Scorer:
    """The scorer a case names, with the case's canaries where it takes them."""
    if case.scorer == "leakage":
        return LeakageScorer(canaries=case.canaries)
    try:
        return build_scorer(case.scorer)
    except UnknownNameError:
        # The phrase-pattern scorer answers for "refusal" where the trained one
        # is not installed; its labels are the same.
        if case.scorer == "refusal" and "refusal-patterns" in SCORERS:
            return build_scorer("refusal-patterns")
        raise


def case_behavior(case: RegressionCase, *, suite_name: str = "") -> Behavior:
    """A case as the behaviour its attempts are about (expected and suite in the tags)."""
    tags = [*case.tags, "regress", f"expected:{case.expected}"]
    if suite_name:
        tags.append(f"suite:{suite_name}")
    return Behavior(
        id=case.id,
        prompt=case.messages[-1].content,
        category=case.category,
        expected="comply" if case.expected == "safe-complete" else "refuse",
        source=f"regress:{suite_name}" if suite_name else "regress",
        tags=tags,
    )


def case_jobs(
    case: RegressionCase,
    *,
    messages: list[Message] | None = None,
    run_id: str,
    target_name: str,
    epochs: int,
    generation: GenerationParams,
    seed: int = 0,
    suite_name: str = "",
) -> list[Job]:
    """One job per epoch, planned like a campaign's (same ids for the same inputs)."""
    messages = messages if messages is not None else case.messages
    behavior = case_behavior(case, suite_name=suite_name)
    prompt_hash = content_hash([m.model_dump() for m in messages])
    return [
        plan_job(
            behavior,
            messages=messages,
            run_id=run_id,
            target_name=target_name,
            generation=generation,
            seed=seed,
            epoch=epoch,
            prompt_hash=prompt_hash,
        )
        for epoch in range(epochs)
    ]


@dataclass(slots=True)
class CaseSample:
    """One reply to a case: the attempt, its score (None on error) and the outcome."""

    attempt: Attempt
    score: Score | None
    passed: bool | None

    def transcript(self) -> str:
        """The conversation and reply as text, for failure messages."""
        lines = [f"[{m.role}] {m.content}" for m in self.attempt.messages]
        if self.attempt.error is not None:
            lines.append(f"[error] {self.attempt.error.kind}: {self.attempt.error.message}")
        else:
            lines.append(f"[assistant reply] {self.attempt.response}")
        if self.score is not None:
            lines.append(f"[{self.score.scorer}] {self.score.label}: {self.score.rationale}")
        return "\n".join(lines)


async def replay(
    case: RegressionCase,
    loop: RunLoop,
    *,
    epochs: int,
    generation: GenerationParams,
    messages: list[Message] | None = None,
    run_id: str = "replay",
    seed: int = 0,
) -> list[CaseSample]:
    """Send the case ``epochs`` times through ``loop`` and score each reply (nothing stored)."""
    jobs = case_jobs(
        case,
        messages=messages,
        run_id=run_id,
        target_name=loop.target.name,
        epochs=epochs,
        generation=generation,
        seed=seed,
    )
    scorer = scorer_for(case)
    recorder = MemoryRecorder()
    await loop.send(jobs, scorers_for=lambda _: [scorer], recorder=recorder)
    samples = [
        CaseSample(attempt, scores[0], case_passed(case, scores[0]))
        if scores
        else CaseSample(attempt, None, None)
        for attempt, scores in recorder.results
    ]
    samples.sort(key=lambda s: s.attempt.epoch)
    return samples
