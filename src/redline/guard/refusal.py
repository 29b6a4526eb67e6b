"""Refusal detection on outputs: did the model decline? Recorded, usually not acted on.

The phrases are :mod:`redline.detectors.refusal`'s, the same the ``refusal-patterns``
scorer uses.
"""

from __future__ import annotations

from redline.detectors.refusal import refusal_strength
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side

# A clear "I can't help with that" versus language that often, not always, declines.
_STRENGTH_SCORES = {"strong": 0.95, "weak": 0.5, None: 0.0}


@SCANNERS.register("refusal")
class RefusalScanner:
    """Scores how clearly an output refuses; looks at the opening ``window`` characters,
    where refusals sit."""

    name = "refusal"
    sides: frozenset[Side] = frozenset({"output"})
    categories = ("refusal",)
    redactable = False

    def __init__(self, *, window: int = 400) -> None:
        self.window = window

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        score = _STRENGTH_SCORES[refusal_strength(text[: self.window])]
        return ScanResult(scores={"refusal": score})
