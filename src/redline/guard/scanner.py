"""What a guard scanner is: a plugin that scores one text and may point at spans."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from redline.core import Message, Registry

Side = Literal["input", "output"]
SIDES: tuple[Side, ...] = ("input", "output")
# What a scanner reads (its optional ``text_view`` attribute): "normalised" (the default)
# is the classification view of redline.guard.normalisation, where look-alike and
# invisible characters cannot hide a word; "raw" is the text as written (a scanner that
# looks for those characters); "both" runs on each and merges the findings.
TextReading = Literal["normalised", "raw", "both"]


@dataclass(frozen=True, slots=True)
class Span:
    """A character range ``[start, end)`` of the scanned text and what was found there."""

    start: int
    end: int
    category: str
    score: float = 1.0


@dataclass(slots=True)
class ScanResult:
    """One scanner's view of one text: scores in [0, 1] per category, spans where it can.

    ``notes`` are short human-readable explanations (which rule matched, decoded
    hidden text); they become the verdict's reasons when a category fires.
    """

    scores: dict[str, float]
    spans: list[Span] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Segment:
    """Where one message sits inside the text the guard joined for scanning."""

    start: int
    end: int
    role: str


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What a scanner may need besides the text: the conversation and where each
    message's text sits in the scanned string (``segments``)."""

    side: Side
    messages: Sequence[Message] = ()
    segments: Sequence[Segment] = ()

    @property
    def system_prompt(self) -> str:
        return "\n".join(m.content for m in self.messages if m.role == "system")


@runtime_checkable
class Scanner(Protocol):
    """A detector the guard runs on inputs, outputs or both.

    ``categories`` lists every key ``scan`` may put in its scores; ``redactable``
    says whether its spans can be replaced (a policy may only ``redact`` with
    such scanners). ``scan`` must be safe to call from several threads. An optional
    ``text_view`` (:data:`TextReading`) says which text it reads; spans are always
    given back to the guard in the coordinates of the text it was handed.
    """

    name: str
    sides: frozenset[Side]
    categories: tuple[str, ...]
    redactable: bool

    def scan(self, text: str, context: ScanContext) -> ScanResult: ...


@runtime_checkable
class BatchScanner(Scanner, Protocol):
    """A scanner that is faster on many texts at once (the ML classifiers)."""

    def scan_many(
        self, texts: Sequence[str], contexts: Sequence[ScanContext]
    ) -> list[ScanResult]: ...


@runtime_checkable
class AsyncScanner(Protocol):
    """A scanner that waits on something remote (a guard model behind a target)."""

    name: str
    sides: frozenset[Side]
    categories: tuple[str, ...]
    redactable: bool

    async def ascan(self, text: str, context: ScanContext) -> ScanResult: ...


# Factories take the policy's ``options`` for that scanner as keyword arguments.
SCANNERS: Registry[type] = Registry("scanner", group="redline.scanners")


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
