"""Refusal detection on outputs: did the model decline? Recorded, usually not acted on."""

from __future__ import annotations

import re

from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side

_STRONG = re.compile(
    r"\b(?:I\s?(?:can(?:no|')t|cannot|won'?t|will not|am not able to|'m not able to|am unable to"
    r"|'m unable to|must (?:decline|refuse)|do not feel comfortable|don'?t feel comfortable)"
    r"\s+(?:help|assist|provide|comply|do that|fulfil|fulfill|create|write|generate|give|share"
    r"|support|engage|answer|continue)"
    r"|I(?:'m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:no|')t|cannot|won'?t)"
    r"|(?:against|violates?) (?:my|our) (?:guidelines|policies|policy|principles)"
    r"|I (?:must|have to) (?:respectfully )?(?:decline|refuse))",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"\b(?:as an ai(?: language model)?|I(?:'m| am) sorry|I apologi[sz]e|not (?:able|allowed) to"
    r"|illegal and unethical|harmful and illegal|seek professional help)\b",
    re.IGNORECASE,
)


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
        head = text[: self.window]
        if _STRONG.search(head):
            score = 0.95
        elif _WEAK.search(head):
            score = 0.5
        else:
            score = 0.0
        return ScanResult(scores={"refusal": score})
