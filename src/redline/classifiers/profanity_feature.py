"""The ``alt-profanity-check`` model's probability, as a guard feature.

``alt-profanity-check`` (PyPI, MIT) ships a pretrained toxic-comment model: a
TF-IDF word vectorizer and a sigmoid-calibrated linear SVM (five calibrated
folds, averaged). We use its *output* only; nothing trains on the data it was
built from. Its own ``predict_prob`` costs milliseconds per call in scikit-learn
input checks, so ``ProfanityScorer`` reads the fitted vocabulary, IDF weights,
SVM weights and calibrators once and computes the same probability with a
dictionary and a dot product (equal to the package's output to 1e-9, tested).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from redline.core.errors import ConfigError

PROFANITY_HINT = "install it with: pip install 'redline[profanity]'"
# scikit-learn's default token pattern, which the package's vectorizer uses.
_WORD = re.compile(r"(?u)\b\w\w+\b")


class ProfanityScorer:
    """Probability that a text is profane/toxic, per ``alt-profanity-check``."""

    _shared: ProfanityScorer | None = None

    def __init__(self) -> None:
        try:
            from profanity_check import profanity_check as package
        except ImportError:
            raise ConfigError(
                f"the profanity feature needs 'alt-profanity-check'; {PROFANITY_HINT}"
            ) from None
        vectorizer, model = package.vectorizer, package.model
        self._index: dict[str, int] = dict(vectorizer.vocabulary_)
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._stop = frozenset(vectorizer.get_stop_words() or ())
        folds = model.calibrated_classifiers_
        self._coef = np.stack([np.asarray(f.estimator.coef_[0], np.float64) for f in folds])
        self._intercept = np.array([float(f.estimator.intercept_[0]) for f in folds])
        self._a = np.array([float(f.calibrators[0].a_) for f in folds])
        self._b = np.array([float(f.calibrators[0].b_) for f in folds])

    @classmethod
    def shared(cls) -> ProfanityScorer:
        """One scorer per process (loading the package takes seconds)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def score(self, text: str) -> float:
        """One text's probability."""
        counts = Counter(
            i
            for w in _WORD.findall(text.lower())
            if w not in self._stop and (i := self._index.get(w)) is not None
        )
        if counts:
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            vals = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            vals *= self._idf[cols]
            vals /= np.sqrt(np.dot(vals, vals))
            decision = self._coef[:, cols] @ vals + self._intercept
        else:
            decision = self._intercept.copy()
        # Platt sigmoid per fold (sklearn: 1 / (1 + exp(a*f + b))), then the mean.
        return float(np.mean(1.0 / (1.0 + np.exp(self._a * decision + self._b))))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape ``(len(texts),)``."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a sequence of texts, not one string")
        return np.array([self.score(t) for t in texts], dtype=np.float64)
