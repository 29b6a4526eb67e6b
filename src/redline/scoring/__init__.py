"""Scorers: decide what a response means (refused, complied, leaked...)."""

from redline.scoring.base import SCORERS, Scorer
from redline.scoring.canary import CanaryScorer, find_canary, find_exfiltration
from redline.scoring.refusal import (
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    PARTIAL_REFUSAL,
    RefusalScorer,
    classify_refusal,
)


def build_scorer(name: str) -> Scorer:
    """A scorer instance by registered name (unknown names get suggestions)."""
    scorer: Scorer = SCORERS.get(name)()
    return scorer


__all__ = [
    "FULL_COMPLIANCE",
    "FULL_REFUSAL",
    "PARTIAL_REFUSAL",
    "SCORERS",
    "CanaryScorer",
    "RefusalScorer",
    "Scorer",
    "build_scorer",
    "classify_refusal",
    "find_canary",
    "find_exfiltration",
]
