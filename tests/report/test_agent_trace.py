"""The transcript card's tool-call trace for agent episodes."""

from __future__ import annotations

from redline.analysis.summary import AttemptJudge
from redline.core import Attempt, Message
from redline.report.html import transcript_records


def _attempt(agent: dict | None) -> Attempt:
    return Attempt(
        id="a1",
        run_id="r",
        behavior_id="banking/pay_bill",
        category="banking",
        expected="comply",
        target="t",
        messages=[Message(role="user", content="Pay the bill.")],
        response="Done.",
        agent=agent,
    )


def test_agent_attempts_carry_their_calls_and_checks() -> None:
    agent = {
        "calls": [
            {"step": 0, "tool": "send_money", "arguments": {"amount": 5}, "status": "blocked"}
        ],
        "utility": False,
        "attack_success": True,
        "taint_flows": [{"expected": False}, {"expected": True}],
        "defences": "plan_execute",
    }
    judge = AttemptJudge([], primary="agent_attack")
    [record] = transcript_records([_attempt(agent)], judge=judge)
    assert record["tool_calls"] == [[0, "send_money", '{"amount": 5}', "blocked"]]
    assert record["agent_checks"] == {
        "utility": False,
        "attack_success": True,
        "taint_flows": 1,
        "defences": "plan_execute",
    }


def test_other_attempts_are_unchanged() -> None:
    judge = AttemptJudge([], primary="agent_attack")
    [record] = transcript_records([_attempt(None)], judge=judge)
    assert "tool_calls" not in record and "agent_checks" not in record
    assert "agent" not in _attempt(None).model_dump()
