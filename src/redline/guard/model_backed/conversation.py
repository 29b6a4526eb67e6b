"""The conversation a guard model judges: plain (role, text) turns, cut to fit."""

from __future__ import annotations

from dataclasses import dataclass

from redline.core import ImagePart
from redline.guard.scanner import ScanContext

# Guard models read "User" and "Agent"/"Assistant" turns; tool results and
# documents are content the user side brought in, so they are judged as user text.
_USER_ROLES = frozenset({"user", "tool", "function", "document"})


@dataclass(frozen=True, slots=True)
class GuardTurn:
    role: str  # "user" or "assistant"
    content: str
    # Images the turn carried, for guard models that see them (Llama Guard 4).
    images: tuple[ImagePart, ...] = ()


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    # Head and tail: instructions and payloads sit near either end more often than mid-way.
    half = max(limit // 2, 1)
    return f"{text[:half]}\n[...]\n{text[-half:]}"


def guard_turns(text: str, context: ScanContext, *, max_chars: int) -> list[GuardTurn]:
    """The turns to send: on the input side the conversation ending with the checked
    user text, on the output side the conversation plus the checked response.

    The newest turns are kept whole where they fit in ``max_chars``; older turns
    are dropped first, and a turn longer than what is left is cut in the middle.
    """
    history = [
        GuardTurn(
            "user" if m.role in _USER_ROLES else "assistant", m.content, tuple(m.images or ())
        )
        for m in context.messages
        if (m.content or m.images) and m.role != "system"
    ]
    if context.side == "output":
        turns = [*history, GuardTurn("assistant", text)]
    else:
        # The scanned text is what the guard judges (it may be one chunk of a long
        # input); earlier turns up to the last assistant reply are context.
        last_reply = max((i for i, t in enumerate(history) if t.role == "assistant"), default=-1)
        # The input's images go with the checked text (they came in the same turns).
        images = tuple(p for t in history[last_reply + 1 :] for p in t.images)
        turns = [*history[: last_reply + 1], GuardTurn("user", text, images)]
    kept: list[GuardTurn] = []
    left = max_chars
    for turn in reversed(turns):
        if left <= 0:
            break
        content = _clip(turn.content, left)
        kept.append(GuardTurn(turn.role, content, turn.images))
        left -= len(content)
    kept.reverse()
    # The models expect the conversation to open with a user turn.
    while kept and kept[0].role != "user" and len(kept) > 1:
        kept.pop(0)
    return kept


def last_of(turns: list[GuardTurn], role: str) -> str:
    return next((t.content for t in reversed(turns) if t.role == role), "")
