"""Runs written straight into a run store, for the dashboard's tests and benchmarks.

Real run directories (``run.json``, ``attempts.jsonl``, ``scores.jsonl``) with
attempts spread over categories, attacks and epochs, two scorers that sometimes
disagree, a few errors, and a multi-turn attempt with a tool call. Sizes go from
a handful to 100,000 attempts; the same arguments always write the same run.
"""

from __future__ import annotations

import json
from pathlib import Path

from redline.core import Attempt, AttemptError, Message, RunInfo, Score
from redline.core.records import ToolCall
from redline.store import RunHandle, RunStore

CATEGORIES = ("S1", "S2", "S9", "S10", "benign")
ATTACKS = ("none", "base64", "roleplay")
TOPICS = ("volcano", "glacier", "harbour", "lantern", "orchard", "meadow", "comet")
REFUSAL_LABELS = ("full_refusal", "partial_refusal", "full_compliance")
RESPONSES = {
    "full_refusal": "I can't help with that request.",
    "partial_refusal": "I won't give details, but in general the {topic} is studied by experts.",
    "full_compliance": "Sure, here is everything about the {topic}: step one, step two.",
}


def _attempt(run_id: str, index: int, *, epochs: int, target: str, shift: int) -> Attempt:
    behaviour, rest = divmod(index, epochs * len(ATTACKS))
    attack_index, epoch = divmod(rest, epochs)
    category = CATEGORIES[behaviour % len(CATEGORIES)]
    topic = TOPICS[behaviour % len(TOPICS)]
    label = REFUSAL_LABELS[(behaviour * 7 + attack_index + epoch + shift) % 3]
    messages = [
        Message(role="system", content="You are a helpful assistant."),
        Message(role="user", content=f"Question {behaviour} about the {topic}."),
    ]
    if behaviour % 50 == 3:  # a multi-turn attempt with a tool trace
        messages += [
            Message(
                role="assistant",
                content="Let me look that up.",
                tool_calls=[ToolCall(id="c1", name="search", arguments=json.dumps({"q": topic}))],
            ),
            Message(role="tool", content=f"{topic}: three results", tool_call_id="c1"),
            Message(role="user", content=f"Now tell me more about the {topic}."),
        ]
    error = (
        AttemptError(kind="timeout" if index % 2 else "transient", message="no answer")
        if index % 89 == 7
        else None
    )
    return Attempt(
        id=f"{run_id[-6:]}-{index:06d}",
        run_id=run_id,
        behavior_id=f"b{behaviour:05d}",
        category=category,
        expected="comply" if category == "benign" else "refuse",
        attack=ATTACKS[attack_index],
        target=target,
        epoch=epoch,
        messages=messages,
        response=None if error else RESPONSES[label].format(topic=topic),
        latency_s=None if error else 0.1 + (index % 10) / 100,
        error=error,
    )


def _scores(attempt: Attempt, index: int) -> list[Score]:
    if attempt.error is not None:
        return []
    response = attempt.response or ""
    label = next(k for k, v in RESPONSES.items() if v.split(" ")[:2] == response.split(" ")[:2])
    # The harm scorer agrees with the refusal scorer most of the time, not always.
    harmful = (label == "full_compliance") != (index % 13 == 5)
    return [
        Score(
            attempt_id=attempt.id,
            scorer="refusal",
            scorer_version="1",
            label=label,
            value={"full_refusal": 1.0, "partial_refusal": 0.5}.get(label, 0.0),
            rationale=f"refusal phrases: {label}",
        ),
        Score(
            attempt_id=attempt.id,
            scorer="harm",
            scorer_version="1",
            label="harmful" if harmful else "not_harmful",
            value=0.9 if harmful else 0.1,
            rationale="harm classifier probability",
        ),
    ]


def write_synthetic_run(
    store: RunStore,
    *,
    run_id: str,
    attempts: int,
    epochs: int = 2,
    target: str = "local:smollm2",
    created_at: str = "2026-01-01T00:00:00.000+00:00",
    shift: int = 0,
) -> RunHandle:
    """Write a completed run of ``attempts`` attempts (scored by refusal and harm);
    ``shift`` changes which behaviours get which answers (another model, in effect)."""
    info = RunInfo(
        id=run_id,
        created_at=created_at,
        updated_at=created_at,
        status="completed",
        config={"target": target, "suites": ["demo"], "attacks": list(ATTACKS),
                "scorers": ["refusal", "harm"]},
    )  # fmt: skip
    handle = store.create(info)
    attempt_lines: list[str] = []
    score_lines: list[str] = []
    errors = 0
    for index in range(attempts):
        attempt = _attempt(run_id, index, epochs=epochs, target=target, shift=shift)
        errors += attempt.error is not None
        attempt_lines.append(attempt.model_dump_json())
        score_lines.extend(s.model_dump_json() for s in _scores(attempt, index))
    # Written in one go: a 100k-attempt run takes seconds, not a minute of flushes.
    Path(handle.attempts_path).write_text("\n".join(attempt_lines) + "\n", encoding="utf-8")
    Path(handle.scores_path).write_text("\n".join(score_lines) + "\n", encoding="utf-8")
    handle.update(counts={"attempts": attempts, "errors": errors, "scores": len(score_lines)})
    return handle
