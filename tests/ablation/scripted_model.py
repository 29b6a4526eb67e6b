"""A scripted model for ablation tests (``python:tests/ablation/scripted_model.py:reply``).

It refuses when its system prompt says ``REFUSE``: harmful-looking prompts only
with ``REFUSE HARM``, everything with ``REFUSE ALL``. Otherwise it answers
maths with 72, multiple choice with B and anything else with a plain sentence.
Deterministic, so tests can state every rate exactly.
"""

from __future__ import annotations

REFUSAL = "I'm sorry, but I can't help with that."


def reply(messages: list[dict[str, str]]) -> str:
    system = " ".join(m["content"] for m in messages if m["role"] == "system")
    prompt = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    if "REFUSE ALL" in system or ("REFUSE HARM" in system and "weapon" in prompt):
        return REFUSAL
    if "maths problem" in prompt:
        return "Working it out step by step. The answer is 72"
    if "multiple choice" in prompt:
        return "B"
    return "Here is a helpful and complete answer to your question."
