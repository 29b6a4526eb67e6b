"""What a guard scanner is: a plugin that scores one text and may point at spans.

The text analysis itself lives in :mod:`redline.detectors`; scanners adapt it to
the guard (sides, categories, policy options).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from redline.core import Message, Registry
from redline.detectors.spans import Detection, Span, SpanSet, combine_independent

Side = Literal["input", "output"]
SIDES: tuple[Side, ...] = ("input", "output")
# What a scanner reads (its optional ``text_view`` attribute): "normalised" (the default)
# is the classification view of redline.guard.normalisation, where look-alike and
# invisible characters cannot hide a word; "raw" is the text as written (a scanner that
# looks for those characters); "both" runs on each and merges the findings.
TextReading = Literal["normalised", "raw", "both"]


# A scanner's result is a detector's result: one type, so a scanner that wraps a
# detector returns what the detector found unchanged.
ScanResult = Detection


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


__all__ = [
    "SCANNERS",
    "SIDES",
    "AsyncScanner",
    "BatchScanner",
    "ScanContext",
    "ScanResult",
    "Scanner",
    "Segment",
    "Side",
    "Span",
    "SpanSet",
    "combine_independent",
]
