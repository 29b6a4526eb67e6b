"""Harmful content by hazard category (MLCommons S1-S14 and ours), on inputs and
outputs, from the trained ``harm`` classifier."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from redline.core import ConfigError
from redline.guard.classifier_scores import (
    RULE_SCALE_CUTOFF,
    Calibration,
    ClassifierScores,
    ModelMode,
    load_model,
)
from redline.guard.decoded_views import decoded_views
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side
from redline.guard.spelling import vocabulary


@SCANNERS.register("harm")
class HarmScanner:
    """Per-category harm probabilities plus ``harm`` (any category).

    The classifier is the whole scanner: with ``model="auto"`` and no classifier
    installed the scanner reports itself unavailable (``available`` is False) and
    the guard leaves it out with a warning; ``required`` makes that an error.

    Text that hides a request (Morse code, base64, leetspeak, look-alike letters,
    reversed text, scrambled or noised words) is also scored decoded, and each
    category takes the higher score. With ``calibration="production"`` (the
    default) scores are rescaled so that 0.5 is the classifier's cut-off for the
    text's side: inputs and outputs are calibrated apart, each to flag at most 1%
    of a benign mix, and category scores are capped by the combined ``harm``
    score, so a category fires only on text the combined head finds harmful.
    """

    name = "harm"
    sides: frozenset[Side] = frozenset({"input", "output"})
    redactable = False

    def __init__(
        self,
        *,
        model: ModelMode = "auto",
        classifier: str = "harm",
        calibration: Calibration = "production",
    ) -> None:
        if model == "off":
            raise ConfigError("the harm scanner is its classifier; disable the scanner instead")
        loaded, self.unavailable_reason = load_model(classifier, model)
        self.available = loaded is not None
        rescale = RULE_SCALE_CUTOFF if calibration == "production" else None
        self._scores = (
            ClassifierScores(loaded, combined="harm", calibration=calibration, rescale_to=rescale)
            if loaded
            else None
        )
        self.categories = (*self._scores.categories, "harm") if self._scores else ("harm",)
        self._gate_categories = calibration == "production"
        if loaded:
            vocabulary()  # the spelling view's words, read with the guard, not on a request

    @property
    def gates_categories(self) -> bool:
        """Whether category scores are capped by the combined ``harm`` score (so no
        category fires unless ``harm`` reaches its threshold too)."""
        return self._gate_categories

    @property
    def classifier_scores(self) -> tuple[ClassifierScores, ...]:
        """The classifiers this scanner scores with (the guard shares their features)."""
        return (self._scores,) if self._scores else ()

    def default_thresholds(self) -> dict[str, float]:
        return self._scores.thresholds() if self._scores else {}

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.scan_many([text], [context])[0]

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        if self._scores is None:
            raise RuntimeError(self.unavailable_reason)
        probabilities = np.asarray(self._scores.probabilities(texts), dtype=np.float64)
        views = [decoded_views(text) for text in texts]
        extra = [view for text_views in views for view in text_views]
        if extra:
            extra_scores = np.asarray(self._scores.probabilities(extra), dtype=np.float64)
            start = 0
            for row, text_views in enumerate(views):
                if text_views:
                    block = extra_scores[start : start + len(text_views)]
                    probabilities[row] = np.maximum(probabilities[row], block.max(axis=0))
                    start += len(text_views)
        by_side: dict[str, list[int]] = {}
        for index, context in enumerate(contexts):
            by_side.setdefault(context.side, []).append(index)
        results: list[ScanResult | None] = [None] * len(texts)
        for side, indices in by_side.items():
            for index, scores in zip(
                indices, self._scores.rows(probabilities[indices], side=side), strict=True
            ):
                if self._gate_categories:
                    # A category names *what* harm the combined head found; on its own
                    # a rare category head is too poorly calibrated to block, so it is
                    # capped by the combined score (whose cut-off holds the 1% FPR).
                    combined = scores["harm"]
                    scores = {k: v if k == "harm" else min(v, combined) for k, v in scores.items()}
                results[index] = ScanResult(scores=scores)
        return [result for result in results if result is not None]
