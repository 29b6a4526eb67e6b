"""Replacing spans of text, for redaction and for the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from redline.guard.scanner import Span


def placeholder(category: str) -> str:
    return f"[{category.upper()}]"


def apply_redactions(
    text: str,
    spans: Iterable[Span],
    *,
    replacement: Callable[[Span], str] = lambda span: placeholder(span.category),
    offset: int = 0,
) -> str:
    """``text`` with every span replaced; overlapping spans merge into the first.

    Spans are in the coordinates of a larger text starting at ``offset``; parts
    outside ``text`` are clipped.
    """
    pieces: list[str] = []
    cursor = 0
    limit = len(text)
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start = max(span.start - offset, 0)
        end = min(span.end - offset, limit)
        if end <= start or end <= cursor:
            continue
        start = max(start, cursor)
        pieces.append(text[cursor:start])
        pieces.append(replacement(span))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
