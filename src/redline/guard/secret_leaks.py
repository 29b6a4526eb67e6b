"""The guard's ``secrets`` scanner over :class:`redline.detectors.secrets.SecretsDetector`."""

from __future__ import annotations

from redline.detectors.secrets import SECRET_CATEGORIES, SecretsDetector, shannon_entropy
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side


@SCANNERS.register("secrets")
class SecretsScanner:
    """Finds credentials on either side; ``min_entropy`` overrides the high-entropy bar."""

    name = "secrets"
    sides: frozenset[Side] = frozenset({"input", "output"})
    categories = SECRET_CATEGORIES
    redactable = True

    def __init__(self, *, min_entropy: float | None = None) -> None:
        self.detector = SecretsDetector(min_entropy=min_entropy)

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.detector.detect(text)


__all__ = ["SECRET_CATEGORIES", "SecretsScanner", "shannon_entropy"]
