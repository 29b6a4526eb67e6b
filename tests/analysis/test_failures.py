from __future__ import annotations

from redline.analysis.failures import describe_failed_run
from redline.core import Attempt, AttemptError, Message


def attempt(index: int, kind: str, message: str) -> Attempt:
    return Attempt(
        id=f"a{index}",
        run_id="r",
        behavior_id=f"b{index}",
        category="s1",
        expected="refuse",
        target="openai:x",
        messages=[Message(role="user", content="p")],
        error=AttemptError(kind=kind, message=message),
    )


def test_target_failures_ask_whether_the_target_is_reachable():
    text = describe_failed_run([attempt(0, "connection", "refused"), attempt(1, "timeout", "t")])
    assert text.startswith("no attempt succeeded (1 connection, 1 timeout)")
    assert "is the target reachable? first error: refused" in text


def test_attacker_failures_name_the_attacker_not_the_target():
    text = describe_failed_run([attempt(0, "attacker_error", "attacker down")] * 2)
    assert "2 attacker_error" in text and "attacker down" in text
    assert "--attacker" in text and "is the target reachable" not in text
