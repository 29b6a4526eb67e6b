"""What every guard-model format provides: the prompts to send and how to read the answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from redline.core import Completion, Message, RedlineError
from redline.guard.model_backed.conversation import GuardTurn
from redline.guard.scanner import Side

# instruction: the published prompt written out as one user message, for any chat
# model or server. conversation: the checked turns as chat messages, for servers
# whose chat template writes the guard prompt itself (vLLM or Ollama serving the
# guard model with its own template).
Delivery = Literal["instruction", "conversation"]


class GuardOutputError(RedlineError):
    """A guard model answered something its format cannot be read from."""


@dataclass(frozen=True, slots=True)
class GuardRequest:
    """One prompt for the guard model. ``policy`` names what this prompt asks
    about (for formats that ask one question per policy); "" for all at once."""

    messages: list[Message]
    policy: str = ""
    max_tokens: int = 32


@dataclass(slots=True)
class GuardReading:
    """Scores read from one answer (category -> probability) and a short note."""

    scores: dict[str, float]
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


class GuardFormat(Protocol):
    """A guard model's prompt and answer format.

    ``categories`` are the scanner categories it can score: ``unsafe`` (the
    combined verdict) plus taxonomy ids (``s1``..``s14``) or our own names.
    """

    @property
    def name(self) -> str: ...

    @property
    def categories(self) -> tuple[str, ...]: ...

    def requests(
        self, turns: list[GuardTurn], side: Side, delivery: Delivery
    ) -> list[GuardRequest]: ...

    def read(self, request: GuardRequest, completion: Completion, side: Side) -> GuardReading: ...


def chat_messages(turns: list[GuardTurn]) -> list[Message]:
    return [
        Message(
            role="user" if t.role == "user" else "assistant",
            content=t.content,
            images=list(t.images) or None,
        )
        for t in turns
    ]


def first_word(text: str) -> str:
    stripped = text.strip().lstrip("*#>`'\" \n").lower()
    word = stripped.split(maxsplit=1)[0] if stripped else ""
    return word.strip(".,:;!*'\"`")


def excerpt(text: str) -> str:
    return repr(text.strip()[:80])
