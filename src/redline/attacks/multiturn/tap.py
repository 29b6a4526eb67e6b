"""TAP: a tree of attack prompts, pruned for drifting off topic and kept to the best ``width``.

After Mehrotra et al. 2023, "Tree of Attacks: Jailbreaking Black-Box LLMs
Automatically". Each leaf asks the attacker for ``branching`` refinements;
phase one drops children the judge finds off topic (before they cost a target
query), phase two keeps the ``width`` highest-scored children as the next
leaves. The tree grows at most ``depth`` levels.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from redline.attacks.base import ATTACKS
from redline.attacks.multiturn.attacker import MultiTurnAttack, MultiTurnParams, trimmed
from redline.attacks.multiturn.pair import better, feedback_message, proposal_message
from redline.attacks.multiturn.prompts import PAIR_ATTACKER_SYSTEM, PAIR_FIRST, fill
from redline.attacks.multiturn.session import AttackSession, Exchange
from redline.core import Message


class TapParams(MultiTurnParams):
    width: int = Field(default=3, ge=1, le=50, description="leaves kept after each level")
    depth: int = Field(default=3, ge=1, le=20, description="tree levels at most")
    branching: int = Field(default=2, ge=1, le=10, description="children per leaf")
    prune_off_topic: bool = Field(default=True, description="ask the judge before each query")


@dataclass
class _Node:
    conversation: list[Message]
    prompt: str = ""
    exchange: Exchange | None = None


@ATTACKS.register("multiturn.tap")
class TapAttack(MultiTurnAttack):
    name = "multiturn.tap"
    description = "tree of attacker refinements with off-topic and top-width pruning"
    references = ("Mehrotra et al. 2023, arXiv:2312.02119",)
    Params = TapParams

    def proposals(self) -> tuple[int, int]:
        params: TapParams = self.params  # type: ignore[assignment]
        # One leaf at the root, at most `width` kept leaves below it.
        children = params.branching + (params.depth - 1) * params.width * params.branching
        return children, children

    def extra_judge_calls(self, proposals: int) -> int:
        params: TapParams = self.params  # type: ignore[assignment]
        return proposals if params.prune_off_topic else 0

    async def run(self, session: AttackSession) -> Exchange | None:
        params: TapParams = self.params  # type: ignore[assignment]
        system = Message(role="system", content=fill(PAIR_ATTACKER_SYSTEM, goal=session.goal))
        leaves = [
            _Node([system, Message(role="user", content=fill(PAIR_FIRST, goal=session.goal))])
        ]
        best: Exchange | None = None
        for level in range(params.depth):
            children = []
            for leaf in leaves:
                for _ in range(params.branching):
                    proposal = await session.ask_attacker(trimmed(leaf.conversation))
                    conversation = [*leaf.conversation, proposal_message(proposal)]
                    children.append(_Node(conversation, prompt=proposal.prompt))
            if params.prune_off_topic:
                kept = [child for child in children if await session.on_topic(child.prompt)]
            else:
                kept = children
            session.note(
                event="prune_off_topic",
                level=level,
                children=len(children),
                pruned=len(children) - len(kept),
            )
            for child in kept:
                sent = [*session.system, Message(role="user", content=child.prompt)]
                child.exchange = await session.ask_target(sent)
                score = await session.rate(child.exchange)
                best = better(best, child.exchange)
                if score >= params.success_score:
                    session.note(event="success", level=level, query=child.exchange.query)
                    return child.exchange
            # Stable sort: among equal scores the earlier child stays ahead.
            kept.sort(key=lambda node: -(node.exchange.score or 0) if node.exchange else 0)
            leaves = kept[: params.width]
            session.note(
                event="prune_width",
                level=level,
                scored=len(kept),
                kept=len(leaves),
                scores=[n.exchange.score for n in leaves if n.exchange],
            )
            if not leaves:
                break
            for leaf in leaves:
                assert leaf.exchange is not None
                leaf.conversation.append(feedback_message(session, leaf.exchange))
        return best
