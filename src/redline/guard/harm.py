"""Harmful content by hazard category (MLCommons S1-S14 and ours), on inputs and
outputs, from the trained ``harm`` classifier."""

from __future__ import annotations

from collections.abc import Sequence

from redline.core import ConfigError
from redline.guard.classifier_scores import (
    Calibration,
    ClassifierScores,
    ModelMode,
    load_model,
)
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side


@SCANNERS.register("harm")
class HarmScanner:
    """Per-category harm probabilities plus ``harm`` (any category).

    The classifier is the whole scanner: with ``model="auto"`` and no classifier
    installed the scanner reports itself unavailable (``available`` is False) and
    the guard leaves it out with a warning; ``required`` makes that an error.
    """

    name = "harm"
    sides: frozenset[Side] = frozenset({"input", "output"})
    redactable = False

    def __init__(
        self,
        *,
        model: ModelMode = "auto",
        classifier: str = "harm",
        calibration: Calibration = "max_f1",
    ) -> None:
        if model == "off":
            raise ConfigError("the harm scanner is its classifier; disable the scanner instead")
        loaded, self.unavailable_reason = load_model(classifier, model)
        self.available = loaded is not None
        self._scores = (
            ClassifierScores(loaded, combined="harm", calibration=calibration) if loaded else None
        )
        self.categories = (*self._scores.categories, "harm") if self._scores else ("harm",)

    def default_thresholds(self) -> dict[str, float]:
        return self._scores.thresholds() if self._scores else {}

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.scan_many([text], [context])[0]

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        if self._scores is None:
            raise RuntimeError(self.unavailable_reason)
        return [ScanResult(scores=row) for row in self._scores.score_many(texts)]
