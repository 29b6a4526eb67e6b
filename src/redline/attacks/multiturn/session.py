"""One multi-turn attack in progress: the calls to target, attacker and judge, and their counts."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

from redline.attacks.multiturn.journal import CallJournal
from redline.attacks.multiturn.parsing import (
    ON_TOPIC_SCHEMA,
    RATING_SCHEMA,
    AttackerTurn,
    UnparseableOutput,
    parse_attacker_output,
    parse_judge_rating,
    parse_on_topic,
)
from redline.attacks.multiturn.prompts import (
    JUDGE_SYSTEM,
    JUDGE_USER,
    ON_TOPIC_SYSTEM,
    ON_TOPIC_USER,
    RETRY_NUDGE,
    fill,
)
from redline.core import Completion, GenerationParams, Message, RedlineError, TargetError
from redline.engine import Send
from redline.targets.base import Target

# A judge sees at most this much of an answer: small judges have small contexts.
_JUDGE_ANSWER_CHARS = 1500
_HELPER_TRIES = 3


class AttackerError(RedlineError):
    """The attacker model gave no usable output (unparseable after retries, or failing)."""

    kind = "attacker_error"


class QueryBudgetSpent(Exception):
    """The attack used every target query it was allowed."""


@dataclass
class Exchange:
    """One target call: what was sent, what came back, the judge's score (if asked)."""

    messages: list[Message]
    completion: Completion
    query: int
    score: int | None = None


@dataclass
class SessionCounts:
    target: int = 0
    attacker: int = 0
    judge: int = 0
    attacker_retries: int = 0
    judge_unparseable: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)


class AttackSession:
    """The calls one attack makes, each replayed from or recorded to the journal.

    ``send`` reaches the target through the executor; attacker and judge are
    targets of their own, called with a few retries on transient errors.
    Target calls beyond ``query_budget`` raise :class:`QueryBudgetSpent`.
    """

    def __init__(
        self,
        *,
        goal: str,
        system: list[Message],
        send: Send,
        target_params: GenerationParams,
        attacker: Target,
        judge: Target,
        journal: CallJournal,
        query_budget: int,
        attacker_params: GenerationParams,
        judge_params: GenerationParams,
        attacker_retries: int,
        rng: random.Random,
        plain_text_prompts: bool = False,
    ) -> None:
        self.goal = goal
        self.system = system
        self._send = send
        self.target_params = target_params
        self.attacker = attacker
        self.judge = judge
        self.journal = journal
        self.query_budget = query_budget
        self.attacker_params = attacker_params
        self.judge_params = judge_params
        self.attacker_retries = attacker_retries
        self.plain_text_prompts = plain_text_prompts
        self.rng = rng
        self.counts = SessionCounts()
        self.last: Exchange | None = None

    async def ask_target(self, messages: list[Message]) -> Exchange:
        """Send a conversation to the target (one query of the budget)."""
        if self.counts.target >= self.query_budget:
            raise QueryBudgetSpent
        request = _request(messages, self.target_params)
        completion = self.journal.replay("target", request)
        if completion is None:
            completion = await self._send(messages, self.target_params)
            self.journal.record(
                "target", request, completion, turn=[m.model_dump() for m in messages[-1:]]
            )
        self.counts.target += 1
        self.last = Exchange(messages=messages, completion=completion, query=self.counts.target)
        return self.last

    async def ask_attacker(self, conversation: list[Message]) -> AttackerTurn:
        """The attacker's next proposal; unparseable answers are retried, then AttackerError."""
        messages = list(conversation)
        last_text = ""
        for attempt in range(self.attacker_retries + 1):
            params = self.attacker_params.model_copy(update={"seed": self.rng.randrange(2**31)})
            completion = await self._helper("attacker", self.attacker, messages, params)
            self.counts.attacker += 1
            last_text = completion.text
            try:
                return parse_attacker_output(completion.text)
            except UnparseableOutput:
                if attempt < self.attacker_retries:
                    self.counts.attacker_retries += 1
                    messages = [
                        *conversation,
                        Message(role="assistant", content=completion.text),
                        Message(role="user", content=RETRY_NUDGE),
                    ]
        if self.plain_text_prompts and last_text.strip():
            # A small attacker that cannot write JSON often still writes a usable
            # prompt; the user asked for it to be taken as it is.
            return AttackerTurn(prompt=last_text.strip(), improvement="(plain-text answer)")
        raise AttackerError(
            f"attacker {self.attacker.name} gave unparseable output "
            f"{self.attacker_retries + 1} times; last: {last_text[:160]!r}"
        )

    async def rate(self, exchange: Exchange) -> int:
        """The judge's 1-10 score of a target answer (1 when the judge cannot be read)."""
        messages = [
            Message(role="system", content=JUDGE_SYSTEM),
            Message(
                role="user",
                content=fill(
                    JUDGE_USER,
                    goal=self.goal,
                    response=exchange.completion.text[:_JUDGE_ANSWER_CHARS],
                ),
            ),
        ]
        params = self.judge_params.model_copy(update={"json_schema": RATING_SCHEMA})
        completion = await self._helper("judge", self.judge, messages, params)
        self.counts.judge += 1
        try:
            score = parse_judge_rating(completion.text)
        except UnparseableOutput:
            # An unreadable judge is no evidence of success; the campaign's
            # scorers decide the outcome anyway.
            self.counts.judge_unparseable += 1
            score = 1
        exchange.score = score
        return score

    async def on_topic(self, prompt: str) -> bool:
        """Whether ``prompt`` still pursues the goal (TAP's first pruning phase)."""
        messages = [
            Message(role="system", content=ON_TOPIC_SYSTEM),
            Message(role="user", content=fill(ON_TOPIC_USER, goal=self.goal, prompt=prompt)),
        ]
        params = self.judge_params.model_copy(update={"json_schema": ON_TOPIC_SCHEMA})
        completion = await self._helper("judge", self.judge, messages, params)
        self.counts.judge += 1
        try:
            return parse_on_topic(completion.text)
        except UnparseableOutput:
            self.counts.judge_unparseable += 1
            return True  # no evidence it drifted: keep it

    def note(self, **fields: Any) -> None:
        """Record a decision (backtrack, prune) in the state file and the attempt."""
        self.counts.notes.append(fields)
        self.journal.note(**fields)

    async def _helper(
        self, role: str, model: Target, messages: list[Message], params: GenerationParams
    ) -> Completion:
        request = _request(messages, params)
        completion = self.journal.replay(role, request)
        if completion is not None:
            return completion
        error: Exception | None = None
        for attempt in range(_HELPER_TRIES):
            try:
                completion = await model.generate(messages, params)
            except TargetError as exc:
                error = exc
                if not exc.retryable:
                    break
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            self.journal.record(role, request, completion)
            return completion
        if role == "attacker":
            raise AttackerError(f"attacker {model.name} failed: {error}")
        raise TargetError(f"judge {model.name} failed: {error}")


def _request(messages: list[Message], params: GenerationParams) -> Any:
    return json.loads(
        json.dumps(
            {
                "messages": [m.model_dump(mode="json") for m in messages],
                "params": params.identity(),
            }
        )
    )
