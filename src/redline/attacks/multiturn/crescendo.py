"""Crescendo: a conversation that escalates gradually, backtracking when the target refuses.

After Russinovich et al. 2024, "Great, Now Write an Article About That: The
Crescendo Multi-Turn LLM Jailbreak Attack". The attacker writes one user turn
at a time from the conversation so far; a refused turn is taken out of the
conversation (the target never sees it again) and the attacker is told to try
a gentler step, up to ``max_backtracks`` times.
"""

from __future__ import annotations

from pydantic import Field

from redline.attacks.base import ATTACKS
from redline.attacks.multiturn.attacker import MultiTurnAttack, MultiTurnParams
from redline.attacks.multiturn.prompts import (
    CRESCENDO_ATTACKER_SYSTEM,
    CRESCENDO_BACKTRACK,
    CRESCENDO_NEXT,
    fill,
)
from redline.attacks.multiturn.session import AttackSession, Exchange
from redline.core import Message
from redline.core.outcome import FULL_COMPLIANCE
from redline.scoring.refusal import classify_refusal

# How much of each earlier answer the attacker is shown.
_HISTORY_ANSWER_CHARS = 300


class CrescendoParams(MultiTurnParams):
    turns: int = Field(default=5, ge=1, le=50, description="accepted turns at most")
    max_backtracks: int = Field(default=3, ge=0, description="refused turns taken back at most")


def _render(history: list[Message]) -> str:
    if not history:
        return "(no messages yet)"
    lines = []
    for message in history:
        text = message.content
        if message.role == "assistant":
            text = text[:_HISTORY_ANSWER_CHARS]
        lines.append(f"{message.role.upper()}: {text}")
    return "\n".join(lines)


@ATTACKS.register("multiturn.crescendo")
class CrescendoAttack(MultiTurnAttack):
    name = "multiturn.crescendo"
    description = "gradual multi-turn escalation toward the goal, backtracking on refusal"
    references = ("Russinovich, Salem, Eldan 2024, arXiv:2404.01833",)
    Params = CrescendoParams

    def proposals(self) -> tuple[int, int]:
        params: CrescendoParams = self.params  # type: ignore[assignment]
        turns = params.turns + params.max_backtracks
        return turns, turns

    async def run(self, session: AttackSession) -> Exchange | None:
        params: CrescendoParams = self.params  # type: ignore[assignment]
        history: list[Message] = []
        final: Exchange | None = None
        backtracks = 0
        turn = 1
        request = fill(CRESCENDO_NEXT, history=_render(history), turn=turn, turns=params.turns)
        while turn <= params.turns:
            system = fill(
                CRESCENDO_ATTACKER_SYSTEM, goal=session.goal, turns=params.turns, turn=turn
            )
            proposal = await session.ask_attacker(
                [Message(role="system", content=system), Message(role="user", content=request)]
            )
            sent = [*session.system, *history, Message(role="user", content=proposal.prompt)]
            exchange = await session.ask_target(sent)
            label, _ = classify_refusal(exchange.completion.text)
            if label != FULL_COMPLIANCE and backtracks < params.max_backtracks:
                backtracks += 1
                session.note(event="backtrack", turn=turn, query=exchange.query, label=label)
                request = fill(
                    CRESCENDO_BACKTRACK,
                    prompt=proposal.prompt,
                    response=exchange.completion.text[:_HISTORY_ANSWER_CHARS],
                    turn=turn,
                    turns=params.turns,
                )
                continue
            history += [
                Message(role="user", content=proposal.prompt),
                Message(role="assistant", content=exchange.completion.text),
            ]
            score = await session.rate(exchange)
            final = exchange
            session.note(event="turn", turn=turn, query=exchange.query, score=score, label=label)
            if score >= params.success_score:
                break
            turn += 1
            request = fill(CRESCENDO_NEXT, history=_render(history), turn=turn, turns=params.turns)
        return final
