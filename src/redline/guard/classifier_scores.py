"""Adapts a trained ``redline.models`` text classifier to guard category scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from redline.core import ConfigError

ModelMode = Literal["auto", "required", "off"]

# Labels that mean "nothing found"; every other label is a category.
NEGATIVE_LABELS = frozenset({"safe", "benign", "none", "negative", "clean", "ok", "0", "false"})


def load_model(name: str, mode: ModelMode) -> tuple[Any | None, str]:
    """The classifier ``name`` from redline.models and "", or None and why not when
    ``mode`` allows running without it. ``required`` makes a missing model a ConfigError."""
    if mode == "off":
        return None, "model: off"
    try:
        try:
            from redline.models import load_classifier  # type: ignore[attr-defined]
        except ImportError:
            from redline.models.classifier import load_classifier
        return load_classifier(name), ""
    except Exception as exc:  # a missing artifact, module or extra: all mean "no model"
        if mode == "required":
            raise ConfigError(f"the {name!r} classifier could not be loaded: {exc}") from exc
        return None, f"classifier {name!r} could not be loaded: {exc}"


class ClassifierScores:
    """Turns ``predict_proba`` rows into ``{category: probability}`` plus a combined
    score under ``combined`` (1 - P(negative label), or the top category when the
    classifier has no negative label)."""

    def __init__(self, classifier: Any, *, combined: str) -> None:
        self.classifier = classifier
        self.labels = [str(label) for label in classifier.labels]
        self.negative = next(
            (i for i, label in enumerate(self.labels) if label.lower() in NEGATIVE_LABELS), None
        )
        self.categories = tuple(label for i, label in enumerate(self.labels) if i != self.negative)
        self.combined = combined

    def score_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        probabilities = self.classifier.predict_proba(list(texts))
        rows: list[dict[str, float]] = []
        for row in probabilities:
            values = [float(v) for v in row]
            scores = {label: values[i] for i, label in enumerate(self.labels) if i != self.negative}
            if self.negative is not None:
                combined = 1.0 - values[self.negative]
            else:
                combined = max(scores.values(), default=0.0)
            scores[self.combined] = min(max(combined, 0.0), 1.0)
            rows.append(scores)
        return rows

    def thresholds(self) -> dict[str, float]:
        """The classifier's own tuned thresholds by category, where it ships them."""
        raw = getattr(self.classifier, "thresholds", None)
        if raw is None:
            return {}
        if isinstance(raw, dict):
            return {str(k): float(v) for k, v in raw.items()}
        try:
            values = [float(v) for v in raw]
        except TypeError:
            return {self.combined: float(raw)}
        if len(values) == len(self.labels):
            return {label: values[i] for i, label in enumerate(self.labels) if i != self.negative}
        return {}
