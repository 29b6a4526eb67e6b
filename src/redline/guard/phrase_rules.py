"""Weighted phrase rules: the heuristic half of the jailbreak and injection scanners."""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.guard.scanner import Span, combine_independent


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """``triggers``: lower-case substrings one of which every match contains; a
    substring test is ~50x cheaper than the regex, so most rules never run."""

    name: str
    pattern: re.Pattern[str]
    weight: float
    triggers: tuple[str, ...] = ()


def rule(name: str, pattern: str, weight: float, *, triggers: tuple[str, ...] = ()) -> PhraseRule:
    return PhraseRule(name, re.compile(pattern, re.IGNORECASE), weight, triggers)


@dataclass(slots=True)
class PhraseHits:
    score: float
    rules: list[str]
    spans: list[Span]


def match_rules(
    rules: tuple[PhraseRule, ...], text: str, *, category: str, offset: int = 0
) -> PhraseHits:
    """Evidence from every rule that matches, combined as independent signals."""
    weights: list[float] = []
    names: list[str] = []
    spans: list[Span] = []
    lowered = text.lower()
    for item in rules:
        if item.triggers and not any(map(lowered.__contains__, item.triggers)):
            continue
        match = item.pattern.search(text)
        if match is None:
            continue
        weights.append(item.weight)
        names.append(item.name)
        spans.append(Span(offset + match.start(), offset + match.end(), category, item.weight))
    return PhraseHits(score=combine_independent(weights), rules=names, spans=spans)
