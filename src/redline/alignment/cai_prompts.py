"""The conversations a Constitutional-AI loop sends, and reading what comes back.

Critiques are asked for as one JSON object (``{"violates": bool, "critique":
str}``) and requested with a JSON schema, so targets that enforce schemas
(the local model decodes under a grammar) always return one; other targets
may not, and :func:`parse_critique` says when a reply is unusable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redline.alignment.constitution import Principle
from redline.core import Message

CRITIQUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "violates": {"type": "boolean"},
        "critique": {"type": "string", "minLength": 1},
    },
    "required": ["violates", "critique"],
}
CRITIQUE_FORMAT = (
    'Reply with one JSON object with two keys: "violates" (true or false) and "critique" '
    "(your reasons, in your own words)."
)
REVISION_SUFFIX = "Write only the new answer, with no preamble."
# The two letters the feedback model chooses between.
OPTION_LETTERS = ("A", "B")


@dataclass(frozen=True)
class Critique:
    """A parsed critique: does the answer break the principle, and why."""

    violates: bool
    text: str


def parse_critique(reply: str) -> Critique | None:
    """The critique in ``reply``, or None when it holds no usable one.

    Takes the outermost ``{...}`` (models often wrap JSON in prose or code
    fences); it must be an object with a boolean ``violates`` and a non-empty
    ``critique`` string that is not words copied from the format instruction.
    """
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(reply[start : end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    violates, text = value.get("violates"), value.get("critique")
    if not isinstance(violates, bool) or not isinstance(text, str) or not text.strip():
        return None
    if text.strip().lower().strip(".") in CRITIQUE_FORMAT.lower():
        return None  # the instruction's own words copied back are no critique
    return Critique(violates=violates, text=text.strip())


def critique_messages(prompt: list[Message], answer: str, principle: Principle) -> list[Message]:
    """Ask the model to critique its ``answer`` to ``prompt`` against ``principle``."""
    return [
        *prompt,
        Message(role="assistant", content=answer),
        Message(role="user", content=f"{principle.critique}\n{CRITIQUE_FORMAT}"),
    ]


def revision_messages(
    prompt: list[Message], answer: str, principle: Principle, critique: Critique
) -> list[Message]:
    """Ask the model to rewrite ``answer`` in the light of its critique."""
    return [
        *critique_messages(prompt, answer, principle),
        Message(role="assistant", content=critique.text),
        Message(role="user", content=f"{principle.revision}\n{REVISION_SUFFIX}"),
    ]


def feedback_messages(
    prompt: list[Message], first: str, second: str, principle: Principle
) -> list[Message]:
    """Ask the feedback model which of two answers (A = ``first``, B = ``second``)
    better follows ``principle``; it should reply with one letter."""
    request = "\n".join(m.content for m in prompt if m.role == "user")
    a, b = OPTION_LETTERS
    text = (
        f"Here is a request and two possible answers.\n\nRequest: {request}\n\n"
        f"Answer {a}: {first}\n\nAnswer {b}: {second}\n\n"
        f"{principle.choice} Reply with the letter {a} or {b} only."
    )
    return [Message(role="user", content=text)]


def chosen_letter(reply: str) -> str | None:
    """The option a feedback reply names: its first standalone A or B, else None."""
    for raw in reply.replace("(", " ").replace(")", " ").replace(".", " ").split():
        word = raw.strip(":*,'\"").upper()
        if word in OPTION_LETTERS:
            return word
    return None
