"""RL-CAI AI feedback: the feedback model compares an original and a revised answer.

Each pair is asked twice, once in each order, because small models prefer a
position more than an answer; the two votes are averaged. A vote's probability
comes from the log-probabilities of the answer letter when the target returns
them (a soft label), otherwise from the letter it wrote (0 or 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from redline.alignment.cai_prompts import OPTION_LETTERS, chosen_letter, feedback_messages
from redline.alignment.constitution import Principle
from redline.alignment.dpo_records import PreferenceRecord, assistant_turn
from redline.core import Attempt, Completion, Message
from redline.engine import Job
from redline.engine.job import Send
from redline.guard.model_backed import answer_probability

Order = Literal["original-first", "revision-first"]
ORDERS: tuple[Order, Order] = ("original-first", "revision-first")
LabelSource = Literal["logprobs", "text", "none"]


def _revision_letter(order: Order) -> str:
    return OPTION_LETTERS[1] if order == ORDERS[0] else OPTION_LETTERS[0]


def vote_probability(completion: Completion, order: Order) -> tuple[float | None, LabelSource]:
    """P(the revision is better) from one feedback answer: from the answer letter's
    log-probabilities when present, else 1 or 0 from the letter written."""
    revision_letter = _revision_letter(order)
    other = next(letter for letter in OPTION_LETTERS if letter != revision_letter)
    p = answer_probability(
        completion.logprobs, positive=revision_letter.lower(), negative=other.lower()
    )
    if p is not None:
        return p, "logprobs"
    letter = chosen_letter(completion.text)
    if letter is None:
        return None, "none"
    return (1.0 if letter == revision_letter else 0.0), "text"


async def _drive_feedback(job: Job, send: Send) -> Attempt:
    """Send the feedback request once and keep the vote with the attempt (log-probabilities
    reach the driver but are not stored in attempts)."""
    completion = await send(job.attempt.messages, job.params)
    order: Order = job.attempt.attack_params["order"]
    p, source = vote_probability(completion, order)
    params = {**job.attempt.attack_params, "p_revision": p, "label_source": source}
    return job.attempt.model_copy(
        update={
            "response": completion.text,
            "finish_reason": completion.finish_reason,
            "attack_params": params,
        }
    )


def feedback_jobs(
    prompt: list[Message],
    *,
    original: str,
    revision: str,
    principle: Principle,
    plan: Callable[[list[Message], dict[str, object]], Job],
) -> list[tuple[Order, Job]]:
    """The two feedback requests for one pair (both orders), planned by ``plan`` and
    driven so the vote is read from the full completion."""
    jobs = []
    for order in ORDERS:
        first, second = (original, revision) if order == ORDERS[0] else (revision, original)
        messages = feedback_messages(prompt, first, second, principle)
        planned = plan(messages, {"principle": principle.id, "order": order})
        jobs.append((order, replace(planned, driver=_drive_feedback)))
    return jobs


@dataclass(frozen=True)
class FeedbackVote:
    """One feedback request's outcome: P(the revision is better), None when unreadable."""

    behavior_id: str
    principle: str
    order: Order
    p_revision: float | None
    source: LabelSource

    @classmethod
    def from_attempt(cls, attempt: Attempt) -> FeedbackVote:
        params = attempt.attack_params
        ok = attempt.error is None and isinstance(params.get("p_revision"), float | int)
        return cls(
            behavior_id=attempt.behavior_id,
            principle=str(params.get("principle")),
            order=params["order"],
            p_revision=float(params["p_revision"]) if ok else None,
            source=params.get("label_source", "none") if ok else "none",
        )


def preference_from_votes(
    prompt: list[Message],
    *,
    original: str,
    revision: str,
    votes: list[FeedbackVote],
    meta: dict[str, object],
) -> PreferenceRecord | None:
    """The preference pair the votes decide (mean P(revision better) over the orders
    that gave an answer), or None when no vote was readable or they tie at 0.5."""
    read = [v for v in votes if v.p_revision is not None]
    if not read:
        return None
    p_revision = sum(v.p_revision for v in read if v.p_revision is not None) / len(read)
    if p_revision == 0.5:
        return None
    revision_wins = p_revision > 0.5
    chosen, rejected = (revision, original) if revision_wins else (original, revision)
    sources = sorted({v.source for v in read})
    return PreferenceRecord(
        prompt=prompt,
        chosen=assistant_turn(chosen),
        rejected=assistant_turn(rejected),
        meta={
            **meta,
            "principle": read[0].principle,
            "chosen_is": "revision" if revision_wins else "original",
            "p_chosen": round(max(p_revision, 1.0 - p_revision), 4),
            "label_source": sources[0] if len(sources) == 1 else "mixed",
            "orders_read": len(read),
        },
    )
