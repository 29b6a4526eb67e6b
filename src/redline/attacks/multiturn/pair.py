"""PAIR: an attacker model refines a jailbreak prompt from the judge's 1-10 scores.

After Chao et al. 2023, "Jailbreaking Black Box Large Language Models in
Twenty Queries". ``streams`` independent refinement chains run for up to
``iterations`` rounds each; every round sends the newest prompt to the target
as a fresh single-turn conversation and feeds the answer and its score back.
"""

from __future__ import annotations

from pydantic import Field

from redline.attacks.base import ATTACKS
from redline.attacks.multiturn.attacker import MultiTurnAttack, MultiTurnParams, trimmed
from redline.attacks.multiturn.parsing import AttackerTurn
from redline.attacks.multiturn.prompts import PAIR_ATTACKER_SYSTEM, PAIR_FEEDBACK, PAIR_FIRST, fill
from redline.attacks.multiturn.session import AttackSession, Exchange
from redline.core import Message

_FEEDBACK_ANSWER_CHARS = 400


class PairParams(MultiTurnParams):
    streams: int = Field(default=1, ge=1, le=20, description="parallel refinement chains (width)")
    iterations: int = Field(default=3, ge=1, le=50, description="rounds per chain (depth)")


def proposal_message(proposal: AttackerTurn) -> Message:
    """The attacker's proposal as it stays in the attacker's own conversation."""
    content = f'{{"improvement": "{proposal.improvement}", "prompt": "{proposal.prompt}"}}'
    return Message(role="assistant", content=content)


def feedback_message(session: AttackSession, exchange: Exchange) -> Message:
    text = exchange.completion.text[:_FEEDBACK_ANSWER_CHARS]
    return Message(
        role="user",
        content=fill(PAIR_FEEDBACK, response=text, score=exchange.score, goal=session.goal),
    )


def better(best: Exchange | None, candidate: Exchange) -> Exchange:
    """The higher-scored exchange; the earlier one on ties (fewer queries to reach it)."""
    if best is None or (candidate.score or 0) > (best.score or 0):
        return candidate
    return best


@ATTACKS.register("multiturn.pair")
class PairAttack(MultiTurnAttack):
    name = "multiturn.pair"
    description = "iterative prompt refinement by an attacker model from judge scores 1-10"
    references = ("Chao et al. 2023, arXiv:2310.08419",)
    Params = PairParams

    def proposals(self) -> tuple[int, int]:
        params: PairParams = self.params  # type: ignore[assignment]
        rounds = params.streams * params.iterations
        return rounds, rounds

    async def run(self, session: AttackSession) -> Exchange | None:
        params: PairParams = self.params  # type: ignore[assignment]
        system = Message(role="system", content=fill(PAIR_ATTACKER_SYSTEM, goal=session.goal))
        chains = [
            [system, Message(role="user", content=fill(PAIR_FIRST, goal=session.goal))]
            for _ in range(params.streams)
        ]
        best: Exchange | None = None
        for iteration in range(params.iterations):
            for index, chain in enumerate(chains):
                proposal = await session.ask_attacker(trimmed(chain))
                chain.append(proposal_message(proposal))
                sent = [*session.system, Message(role="user", content=proposal.prompt)]
                exchange = await session.ask_target(sent)
                score = await session.rate(exchange)
                session.note(
                    event="round",
                    stream=index,
                    iteration=iteration,
                    query=exchange.query,
                    score=score,
                )
                best = better(best, exchange)
                if score >= params.success_score:
                    return exchange
                chain.append(feedback_message(session, exchange))
        return best
