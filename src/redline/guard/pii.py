"""The guard's ``pii`` scanner over :class:`redline.detectors.pii.PIIDetector`."""

from __future__ import annotations

from redline.detectors.pii import PII_CATEGORIES, PIIDetector, iban_valid, luhn_valid
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side


@SCANNERS.register("pii")
class PIIScanner:
    """Finds personal data on either side; ``categories`` limits the kinds looked for."""

    name = "pii"
    sides: frozenset[Side] = frozenset({"input", "output"})
    categories: tuple[str, ...] = PII_CATEGORIES
    redactable = True

    def __init__(self, *, categories: list[str] | None = None) -> None:
        self.detector = PIIDetector(categories=categories)
        self.categories = self.detector.categories

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.detector.detect(text)


__all__ = ["PII_CATEGORIES", "PIIScanner", "iban_valid", "luhn_valid"]
