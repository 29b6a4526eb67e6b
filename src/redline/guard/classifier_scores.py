"""Adapts a trained ``redline.classifiers`` text classifier to guard category scores."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from redline.classifiers.classifier import StackedHeads, TextClassifier
from redline.core import ConfigError
from redline.guard.scanner import ScanContext, ScanResult

ModelMode = Literal["auto", "required", "off"]
# Which of a classifier's dev-calibrated cut-offs a scanner uses: ``max_f1``,
# ``strict`` (the higher of max-F1 and the 1%-false-positive-rate cut-off), or
# ``production`` (per side: at most 1% of a benign mix of that side flagged;
# classifiers trained before side cut-offs existed fall back to ``strict``).
Calibration = Literal["max_f1", "strict", "production"]
CALIBRATIONS = ("max_f1", "strict", "production")
SIDE_NAMES = ("input", "output")

# Labels that mean "nothing found"; every other label is a category.
NEGATIVE_LABELS = frozenset({"safe", "benign", "none", "negative", "clean", "ok", "0", "false"})
# A head that already scores "any category" (the harm model's ``harmful``): it is the
# combined score, rather than the maximum over per-category heads with their own cut-offs.
COMBINED_LABELS = frozenset({"harmful", "unsafe", "any"})

# Texts whose scores a shared group keeps per thread: the guard's scanners ask for
# the same texts one after another (jailbreak, then injection per message, then harm).
_REMEMBERED = 2


class SharedHeads:
    """Classifiers of one guard with one feature configuration, scored together: a
    text is featurized once and every head is scored in one pass. The last few
    texts' scores are kept per thread, so the next scanner asking gets them free."""

    def __init__(self, classifiers: Sequence[Any]) -> None:
        self._stack = StackedHeads(classifiers)
        self._local = threading.local()

    def columns(self, index: int) -> slice:
        return self._stack.columns(index)

    @property
    def stack(self) -> StackedHeads:
        """The heads as one weight matrix (for a caller that featurizes itself)."""
        return self._stack

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        memo: list[tuple[list[str], np.ndarray]] = getattr(self._local, "memo", None) or []
        for seen, scores in memo:
            if seen == texts:
                return scores
        scores = self._stack.probabilities(texts)
        self.remember(texts, scores)
        return scores

    def remember(self, texts: Sequence[str], scores: np.ndarray) -> None:
        """Keep ``scores`` (``stack``'s probabilities of ``texts``, computed by the
        caller) so the next scanner on this thread asking for ``texts`` gets them."""
        memo: list[tuple[list[str], np.ndarray]] = getattr(self._local, "memo", None) or []
        self._local.memo = [(list(texts), scores), *memo[: _REMEMBERED - 1]]


def share_heads(scores: Sequence[ClassifierScores]) -> list[SharedHeads]:
    """Joins the trained text classifiers behind ``scores`` by feature
    configuration so each group scores a text once (see ``SharedHeads``).
    Classifiers of other kinds keep scoring alone."""
    groups: list[list[ClassifierScores]] = []
    for item in scores:
        if not isinstance(item.classifier, TextClassifier):
            continue
        features = item.classifier.features
        group = next((g for g in groups if g[0].classifier.features == features), None)
        if group is None:
            groups.append([item])
        else:
            group.append(item)
    shared = []
    for group in groups:
        heads = SharedHeads([item.classifier for item in group])
        for index, item in enumerate(group):
            item.shared = (heads, heads.columns(index))
        shared.append(heads)
    return shared


def load_model(name: str, mode: ModelMode | bool) -> tuple[Any | None, str]:
    """The classifier ``name`` from redline.classifiers and "", or None and why not when
    ``mode`` allows running without it. ``required`` makes a missing model a ConfigError."""
    if mode is False:  # YAML reads an unquoted `model: off` as false
        mode = "off"
    if mode not in ("auto", "required", "off"):
        raise ConfigError(f"model: expected auto, required or off, got {mode!r}")
    if mode == "off":
        return None, "model: off"
    try:
        try:
            from redline.classifiers import load_classifier
        except ImportError:
            from redline.classifiers.classifier import load_classifier
        return load_classifier(name), ""
    except Exception as exc:  # a missing artifact, module or extra: all mean "no model"
        if mode == "required":
            raise ConfigError(f"the {name!r} classifier could not be loaded: {exc}") from exc
        return None, f"classifier {name!r} could not be loaded: {exc}"


class ClassifierScores:
    """Turns ``predict_proba`` rows into ``{category: probability}`` plus a combined
    score under ``combined`` (1 - P(negative label), or the top category when the
    classifier has no negative label)."""

    def __init__(
        self,
        classifier: Any,
        *,
        combined: str,
        calibration: Calibration = "max_f1",
        rescale_to: float | None = None,
    ) -> None:
        if calibration not in CALIBRATIONS:
            raise ConfigError(
                f"calibration: expected {' or '.join(CALIBRATIONS)}, got {calibration!r}"
            )
        self.classifier = classifier
        self.calibration = calibration
        # With rescale_to, probabilities are mapped piecewise-linearly so each label's
        # cut-off lands on rescale_to: the scanner can then take the max with rule
        # scores that were weighted for that same threshold.
        self.rescale_to = rescale_to
        self.labels = [str(label) for label in classifier.labels]
        self.negative = next(
            (i for i, label in enumerate(self.labels) if label.lower() in NEGATIVE_LABELS), None
        )
        self.combined_head = next(
            (
                i
                for i, label in enumerate(self.labels)
                if self.negative is None and (label.lower() in COMBINED_LABELS or label == combined)
            ),
            None,
        )
        skip = {self.negative, self.combined_head}
        self.categories = tuple(label for i, label in enumerate(self.labels) if i not in skip)
        self.combined = combined
        self._named = [(i, label) for i, label in enumerate(self.labels) if i not in skip]
        # Per side: (column, cut-off) of each label whose cut-off rescaling moves
        # onto ``rescale_to``.
        self._rescaled: dict[str, list[tuple[int, float]]] = {}
        for side in SIDE_NAMES:
            cuts = self._label_thresholds(side)
            self._rescaled[side] = [
                (i, cuts[label])
                for i, label in enumerate(self.labels)
                if label in cuts and 0.0 < cuts[label] < 1.0
            ]
        # Set by ``share_heads``: the group this classifier is scored in, and its columns.
        self.shared: tuple[SharedHeads, slice] | None = None
        self._local = threading.local()
        self._windows = getattr(classifier, "window_chars", 0) or 0

    def _probabilities(self, texts: Sequence[str]) -> Any:
        if self.shared is None:
            return self.classifier.predict_proba(list(texts))
        heads, columns = self.shared
        scores = heads.probabilities(texts)[:, columns]
        window = self._windows
        long = [i for i, text in enumerate(texts) if window and len(text) > window]
        if long:
            # Only the long texts are scored window by window; the rest keep the
            # shared scores (the same numbers: a short text is its only window).
            scores = scores.copy()
            scores[long] = self.windowed([texts[i] for i in long])
        return scores

    def windowed(self, texts: Sequence[str]) -> np.ndarray:
        """``predict_proba`` of texts longer than the classifier's window (each
        window scored, the highest kept); the last batch's scores are kept per
        thread, so a caller that scored them (``remember_windowed``) is not repeated."""
        kept = getattr(self._local, "windowed", None)
        if kept is not None and kept[0] == texts:
            return np.asarray(kept[1])
        return np.asarray(self.classifier.predict_proba(list(texts)))

    def remember_windowed(self, texts: Sequence[str], scores: np.ndarray) -> None:
        """Keep ``windowed(texts)`` computed elsewhere for the next ``windowed`` call."""
        self._local.windowed = (list(texts), scores)

    def score_many(self, texts: Sequence[str], *, side: str = "input") -> list[dict[str, float]]:
        """Category scores and the combined score of each text; ``side`` picks the
        cut-offs that rescaling maps onto ``rescale_to``."""
        return self.rows(self._probabilities(texts), side=side)

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Raw ``predict_proba`` rows, before rescaling."""
        return self._probabilities(texts)

    def rows(self, probabilities: Any, *, side: str = "input") -> list[dict[str, float]]:
        """Score dicts from raw probability rows (see ``score_many``)."""
        # Plain floats: a row holds a few dozen numbers, where numpy's per-call cost
        # is most of the work. The arithmetic is the same IEEE double arithmetic.
        cuts: list[tuple[int, float]] = []
        if self.rescale_to is not None:
            cuts = self._rescaled.get(side, self._rescaled["input"])
        target = float(self.rescale_to or 0.5)
        named = self._named
        negative, combined_head = self.negative, self.combined_head
        rows: list[dict[str, float]] = []
        for values in np.asarray(probabilities, dtype=np.float64).tolist():
            for column, cut in cuts:
                value = values[column]
                if value < cut:
                    values[column] = value / cut * target
                else:
                    values[column] = target + (value - cut) / (1.0 - cut) * (1.0 - target)
            scores = {label: values[i] for i, label in named}
            if negative is not None:
                combined = 1.0 - values[negative]
            elif combined_head is not None:
                combined = values[combined_head]
            else:
                combined = max(scores.values(), default=0.0)
            scores[self.combined] = min(max(combined, 0.0), 1.0)
            rows.append(scores)
        return rows

    def rescaled(self, probabilities: np.ndarray, *, side: str = "input") -> np.ndarray:
        """``rows`` as one array, for a whole batch at once: every column mapped as
        ``rows`` maps it (columns without a cut-off unchanged), and a last column
        holding the combined score."""
        values = np.array(probabilities, dtype=np.float64, copy=True)
        if self.rescale_to is not None:
            target = float(self.rescale_to)
            for column, cut in self._rescaled.get(side, self._rescaled["input"]):
                raw = values[:, column]
                values[:, column] = np.where(
                    raw < cut,
                    raw / cut * target,
                    target + (raw - cut) / (1.0 - cut) * (1.0 - target),
                )
        if self.negative is not None:
            combined = 1.0 - values[:, self.negative]
        elif self.combined_head is not None:
            combined = values[:, self.combined_head]
        else:
            named = [i for i, _ in self._named]
            combined = values[:, named].max(axis=1) if named else np.zeros(len(values))
        return np.column_stack([values, np.clip(combined, 0.0, 1.0)])

    def _label_thresholds(self, side: str = "input") -> dict[str, float]:
        raw = getattr(self.classifier, "thresholds", None)
        if not isinstance(raw, dict):
            return {}
        cuts = {str(k): float(v) for k, v in raw.items()}
        by_side = getattr(self.classifier, "side_thresholds", None) or {}
        if self.calibration == "production" and by_side.get(side):
            cuts.update({str(k): float(v) for k, v in by_side[side].items()})
            return cuts
        if self.calibration in ("strict", "production"):
            strict = getattr(self.classifier, "thresholds_at_1pct_fpr", None) or {}
            for label, value in strict.items():
                if str(label) in cuts:
                    cuts[str(label)] = max(cuts[str(label)], float(value))
        return cuts

    def thresholds(self) -> dict[str, float]:
        """The classifier's own tuned thresholds by category, where it ships them
        (``rescale_to`` for every category when scores are rescaled)."""
        raw = getattr(self.classifier, "thresholds", None)
        if isinstance(raw, dict):
            raw = self._label_thresholds()
            if self.rescale_to is not None:
                raw = {label: self.rescale_to for label in raw}
        if raw is None:
            return {}
        if isinstance(raw, dict):
            out = {str(k): float(v) for k, v in raw.items()}
            if self.combined_head is not None and self.labels[self.combined_head] in out:
                out[self.combined] = out.pop(self.labels[self.combined_head])
            return out
        try:
            values = [float(v) for v in raw]
        except TypeError:
            return {self.combined: float(raw)}
        if len(values) == len(self.labels):
            return {label: values[i] for i, label in enumerate(self.labels) if i != self.negative}
        return {}


# Where a rule-and-model scanner puts the classifier's calibrated cut-off: 0.5, the
# scale the phrase rules are weighted on, so max(rules, model) is judged by one threshold.
RULE_SCALE_CUTOFF = 0.5


class RulesAndModelScanner:
    """Shared set-up of scanners that take the larger of phrase-rule scores and the
    trained classifier ``classifier_name``'s (rescaled onto the rule scale)."""

    classifier_name: str

    def __init__(self, *, model: ModelMode = "auto", calibration: Calibration = "max_f1") -> None:
        loaded, self.model_status = load_model(self.classifier_name, model)
        self._model = (
            ClassifierScores(
                loaded,
                combined=self.classifier_name,
                calibration=calibration,
                rescale_to=RULE_SCALE_CUTOFF,
            )
            if loaded
            else None
        )

    @property
    def uses_model(self) -> bool:
        return self._model is not None

    @property
    def classifier_scores(self) -> tuple[ClassifierScores, ...]:
        """The classifiers this scanner scores with (the guard shares their features)."""
        return (self._model,) if self._model else ()

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.scan_many([text], [context])[0]

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        raise NotImplementedError
