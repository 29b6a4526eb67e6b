"""What a detector returns: scores per category and the character spans behind them."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A character range ``[start, end)`` of the scanned text and what was found there."""

    start: int
    end: int
    category: str
    score: float = 1.0


@dataclass(slots=True)
class Detection:
    """One detector's view of one text: scores in [0, 1] per category, spans where it can.

    ``notes`` are short human-readable explanations (which rule matched, decoded
    hidden text); the guard turns them into a verdict's reasons.
    """

    scores: dict[str, float]
    spans: list[Span] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def combine_independent(weights: Sequence[float]) -> float:
    """Combine independent pieces of evidence: 1 - prod(1 - w)."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - min(max(weight, 0.0), 1.0)
    return 1.0 - remaining


class SpanSet:
    """Non-overlapping spans kept sorted by start, so a claim check is a bisection."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.spans: list[Span] = []

    def claim(self, span: Span) -> bool:
        index = bisect.bisect_left(self.starts, span.start)
        if index > 0 and self.spans[index - 1].end > span.start:
            return False
        if index < len(self.spans) and self.spans[index].start < span.end:
            return False
        self.starts.insert(index, span.start)
        self.spans.insert(index, span)
        return True
