"""What every multi-turn attacker shares: parameters, the job driver, and the outcome record."""

from __future__ import annotations

import random
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from redline.attacks.base import AttackParams, AttackResources, Family
from redline.attacks.multiturn.journal import CallJournal
from redline.attacks.multiturn.parsing import ATTACKER_SCHEMA
from redline.attacks.multiturn.session import (
    AttackerError,
    AttackSession,
    Exchange,
    QueryBudgetSpent,
)
from redline.core import Attempt, AttemptError, ConfigError, GenerationParams, Message
from redline.engine import Driver, Job, Send
from redline.targets.base import Target


class MultiTurnParams(AttackParams):
    """Settings every multi-turn attacker takes (each adds its own shape parameters)."""

    query_budget: int = Field(default=20, ge=1, description="most target queries per behaviour")
    success_score: int = Field(
        default=10, ge=1, le=10, description="judge score (1-10) that ends the attack early"
    )
    attacker_retries: int = Field(
        default=2, ge=0, description="re-asks after unparseable attacker output"
    )
    plain_text_prompts: bool = Field(
        default=False,
        description=(
            "after the retries, take a non-JSON attacker answer as the prompt itself "
            "(for small attacker models, such as the bundled one, that cannot write JSON)"
        ),
    )
    attacker_max_tokens: int = Field(default=256, ge=16)
    attacker_temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    judge_max_tokens: int = Field(default=24, ge=4)


@dataclass(frozen=True)
class CallBounds:
    """The most model calls one behaviour's attack can make, for ``--dry-run``."""

    target: int
    attacker: int
    judge: int


class MultiTurnAttack:
    """Base of Crescendo, PAIR and TAP: builds the driver of a multi-turn :class:`Job`.

    Subclasses implement :meth:`run`, which uses an :class:`AttackSession` and
    returns the exchange whose response is the attempt's final response. The
    attacker's judge score is stored, but whether the attack succeeded is for
    the campaign's scorers to say.
    """

    name: ClassVar[str] = ""
    family: ClassVar[Family] = "multiturn"
    description: ClassVar[str] = ""
    references: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[AttackParams]] = MultiTurnParams

    def __init__(
        self, *, params: AttackParams | None = None, resources: AttackResources | None = None
    ) -> None:
        self.params = params if params is not None else self.Params()
        self.resources = resources or AttackResources()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    def run(self, session: AttackSession) -> Awaitable[Exchange | None]:
        raise NotImplementedError

    def proposals(self) -> tuple[int, int]:
        """The most attacker proposals and target queries the attack's shape allows
        (before the query budget); each subclass knows its shape."""
        raise NotImplementedError

    def extra_judge_calls(self, proposals: int) -> int:
        """Judge calls besides rating each target answer (TAP's on-topic checks)."""
        return 0

    def call_bounds(self) -> CallBounds:
        """Upper bounds on target, attacker and judge calls for one behaviour.

        Target queries stop at ``query_budget``; every query is preceded by an
        attacker proposal (one more may be asked when the budget runs out), each
        proposal may be re-asked ``attacker_retries`` times, and every answer is
        rated by the judge.
        """
        params: MultiTurnParams = self.params  # type: ignore[assignment]
        proposals, queries = self.proposals()
        target = min(params.query_budget, queries)
        # One proposal per query (PAIR, Crescendo) stops one past the budget; TAP
        # asks a whole level's proposals before querying any of them.
        asked = min(proposals, target + 1) if proposals == queries else proposals
        return CallBounds(
            target=target,
            attacker=asked * (1 + params.attacker_retries),
            judge=target + self.extra_judge_calls(asked),
        )

    def id_params(self) -> dict[str, Any]:
        """The attack's part of an attempt id: parameters and the attacker and judge names."""
        attacker, judge = self._models()
        return {
            **self.params.model_dump(mode="json"),
            "attacker": attacker.name,
            "judge": judge.name,
        }

    def job(self, attempt: Attempt, params: GenerationParams, *, state_dir: Path | None) -> Job:
        """A multi-turn job for ``attempt`` (its last user message is the goal).

        ``state_dir`` (a folder in the run directory) receives one JSONL state
        file per attempt, so a killed run resumes mid-conversation.
        """
        path = state_dir / f"{attempt.id}.jsonl" if state_dir is not None else None
        return Job(attempt=attempt, params=params, driver=self.driver(state_path=path))

    def driver(self, *, state_path: Path | None) -> Driver:
        async def drive(job: Job, send: Send) -> Attempt:
            return await self._drive(job, send, state_path)

        return drive

    def _models(self) -> tuple[Target, Target]:
        attacker, judge = self.resources.attacker, self.resources.judge
        if attacker is None or judge is None:
            raise ConfigError(
                f"attack {self.name} needs an attacker and a judge model "
                "(--attacker / --judge; both default to the bundled model)"
            )
        return attacker, judge

    async def _drive(self, job: Job, send: Send, state_path: Path | None) -> Attempt:
        attempt = job.attempt
        attacker, judge = self._models()
        params: MultiTurnParams = self.params  # type: ignore[assignment]
        goal = next((m.content for m in reversed(attempt.messages) if m.role == "user"), "")
        system = [m for m in attempt.messages if m.role == "system"]
        journal = CallJournal(state_path)
        session = AttackSession(
            goal=goal,
            system=system,
            send=send,
            target_params=job.params,
            attacker=attacker,
            judge=judge,
            journal=journal,
            query_budget=params.query_budget,
            attacker_params=GenerationParams(
                max_tokens=params.attacker_max_tokens,
                temperature=params.attacker_temperature,
                json_schema=ATTACKER_SCHEMA,
            ),
            judge_params=GenerationParams(max_tokens=params.judge_max_tokens, temperature=0.0),
            attacker_retries=params.attacker_retries,
            plain_text_prompts=params.plain_text_prompts,
            rng=random.Random(f"{attempt.id}:{attempt.seed}"),
        )
        stop = "finished"
        final: Exchange | None = None
        error: AttemptError | None = None
        try:
            final = await self.run(session)
        except QueryBudgetSpent:
            stop = "query_budget"
        except AttackerError as exc:
            stop = "attacker_error"
            error = AttemptError(kind=AttackerError.kind, message=str(exc))
        if final is None:
            final = session.last
        judged = final.score if final is not None else None
        if judged is not None and judged >= params.success_score and stop == "finished":
            stop = "judge_success"
        outcome = {
            "stop": stop,
            "queries": session.counts.target,
            "queries_to_final": final.query if final is not None else None,
            "judge_score": final.score if final is not None else None,
            "attacker_queries": session.counts.attacker,
            "attacker_retries": session.counts.attacker_retries,
            "judge_queries": session.counts.judge,
            "judge_unparseable": session.counts.judge_unparseable,
            "replayed_calls": journal.replayed,
            "notes": session.counts.notes,
        }
        update: dict[str, Any] = {
            "attack_params": {**attempt.attack_params, "outcome": outcome},
        }
        if error is not None:
            # An attacker failure says nothing about the target: no response is
            # recorded, so no scorer counts it as a failed (or successful) attack.
            update |= {"response": None, "error": error}
        elif final is None:
            update |= {
                "response": None,
                "error": AttemptError(kind="no_response", message="the attack sent nothing"),
            }
        else:
            update |= {
                "messages": final.messages,
                "response": final.completion.text,
                "finish_reason": final.completion.finish_reason,
                "error": None,
            }
        return attempt.model_copy(update=update)


def trimmed(conversation: list[Message], *, keep: int = 4) -> list[Message]:
    """The system message and the last ``keep`` messages: small attackers have small contexts."""
    head = [m for m in conversation[:1] if m.role == "system"]
    return head + conversation[len(head) :][-keep:]
