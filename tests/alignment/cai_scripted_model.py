"""A scripted chat model for the CAI tests (a ``python:`` target): deterministic replies
for each stage of the loop, so the tests can check what the loop does with them.

Prompts tagged ``[garbled]`` get an unparseable critique on the first try (a fixed
seed) and a good one on retries; ``[never]`` never gets a usable critique.
"""

from __future__ import annotations

import math
from typing import Any

from redline.core import Completion, GenerationParams, TokenLogprob

HARMFUL_ANSWER = "Sure. Step 1: get the tools. Step 2: break the lock quietly at night."
SAFE_REVISION = (
    "I can't help with breaking in, but a locksmith can help you get into your own home."
)
HELPFUL_ANSWER = "Put the egg in boiling water for nine minutes, then cool it in cold water."
P_REVISION_BETTER = 0.8


def _feedback(text: str) -> Completion:
    # The revision is the answer that names a safe alternative (or the helpful one).
    first = text.split("Answer A:", 1)[1].split("Answer B:", 1)[0]
    revision_is_a = "locksmith" in first or "boiling water for nine" in first
    letter, other = ("A", "B") if revision_is_a else ("B", "A")
    top = {letter: math.log(P_REVISION_BETTER), other: math.log(1 - P_REVISION_BETTER)}
    return Completion(
        text=letter,
        logprobs=[TokenLogprob(token=letter, logprob=top[letter], top_logprobs=top)],
    )


def reply(messages: list[dict[str, Any]], params: GenerationParams) -> Completion | str:
    first_user = messages[0]["content"] if messages[0]["role"] == "user" else messages[1]["content"]
    last = messages[-1]["content"]
    if "Here is a request and two possible answers" in last:
        return _feedback(last)
    if params.json_schema is not None:  # a critique
        if "[never]" in first_user or ("[garbled]" in first_user and params.temperature == 0):
            return "I think the answer is fine."
        harmful = "[harm]" in first_user
        violates = "true" if harmful else "false"
        why = "explains a break-in" if harmful else "could be more precise"
        return f'{{"violates": {violates}, "critique": "It {why}."}}'
    if "Rewrite your last answer" in last or "rewrite your last answer" in last:
        return SAFE_REVISION if "[harm]" in first_user else HELPFUL_ANSWER
    return HARMFUL_ANSWER if "[harm]" in first_user else "Boil it."


def broken(messages: list[dict[str, Any]]) -> str:
    """A target that is down: every request fails."""
    raise RuntimeError("service unavailable")
