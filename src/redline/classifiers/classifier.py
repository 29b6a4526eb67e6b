"""The guard's text classifiers: hashed word and character n-grams into linear heads.

A ``TextClassifier`` is a feature configuration plus one logistic head per label.
Hashing needs no vocabulary, so an artifact is just the head weights (int8 with
a per-head scale, compressed) and a JSON config: small, fast to load, and with
nothing unpickled.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.core.errors import ConfigError, UnknownNameError

SHIPPED_MODELS = ("harm", "jailbreak", "injection")
FORMAT_VERSION = 1
# The feature kind whose featurizer gives one text's (indices, values) directly.
_HASHED_KIND = "hashed-ngrams-v1"
try:  # the kernel behind scipy's CSR-times-dense product (see linear_logits)
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # a scipy that moved it: the public product gives the same bits
    _csr_matvecs = None


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """Sparse feature rows as CSR arrays, without a scipy matrix (building one
    costs more than scoring a single message)."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @classmethod
    def from_matrix(cls, matrix: sp.csr_matrix) -> FeatureRows:
        matrix = sp.csr_matrix(matrix)
        return cls(matrix.indptr, matrix.indices, matrix.data)

    def __len__(self) -> int:
        return len(self.indptr) - 1


def feature_rows(featurizer: TextFeaturizer, texts: Sequence[str]) -> FeatureRows:
    """``texts`` featurized; one text skips the sparse matrix."""
    if len(texts) == 1 and featurizer.config.to_dict().get("kind") == _HASHED_KIND:
        indices, values = featurizer.features(texts[0])
        return FeatureRows(np.array([0, len(indices)]), indices, values)
    return FeatureRows.from_matrix(featurizer.transform(texts))


def linear_logits(rows: FeatureRows, weights_t: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """``rows @ weights_t + intercept``, shape ``(len(rows), heads)``: the same bits
    as scipy's CSR product, which sums each row feature by feature in order, so a
    text scores the same alone or in a batch of any size (a batch check equals
    per-message checks).
    """
    n_rows, heads = len(rows), weights_t.shape[1]
    out = np.zeros((n_rows, heads), dtype=np.result_type(rows.values, weights_t))
    if _csr_matvecs is not None and rows.values.dtype == weights_t.dtype == out.dtype:
        # scipy's own kernel, called directly: building a csr_matrix costs about
        # three times the product for one message.
        index = np.int64
        _csr_matvecs(
            n_rows,
            weights_t.shape[0],
            heads,
            np.asarray(rows.indptr, dtype=index),
            np.asarray(rows.indices, dtype=index),
            rows.values,
            np.ascontiguousarray(weights_t).ravel(),
            out.ravel(),
        )
    else:
        matrix = sp.csr_matrix(
            (rows.values, rows.indices, rows.indptr), shape=(n_rows, weights_t.shape[0])
        )
        out[:] = matrix @ weights_t
    out += intercept
    return out


def logistic(logits: np.ndarray) -> np.ndarray:
    """The logistic function of float32 logits, in float64.

    Written out rather than scipy's ``expit``, whose module costs ~75 ms to import
    (every command that loads a classifier paid it); the values are the same bits
    (1,000,005 normal and extreme logits compared). exp(-x) overflows to inf for
    x < -709, which gives the right limit, 0, so that warning is silenced.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


@dataclass
class TextClassifier:
    """One featurizer, one linear head per label.

    ``predict_proba(texts)`` returns an ``n x len(labels)`` array of
    probabilities; ``thresholds`` holds the dev-calibrated cut-off per label
    (maximum F1), ``thresholds_at_1pct_fpr`` the stricter one for 1% false
    positives on dev.
    """

    name: str
    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    thresholds: dict[str, float]
    thresholds_at_1pct_fpr: dict[str, float] = field(default_factory=dict)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    metadata: dict[str, Any] = field(default_factory=dict)
    # When set, texts longer than this are scored in half-overlapping windows and
    # each label takes its maximum: one injected sentence in a long document
    # would otherwise be diluted by everything around it.
    window_chars: int = 0
    # Production cut-offs per side ("input", "output") and label: the score at
    # which at most 1% of a benign mix for that side is flagged (see training).
    side_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.coef = np.ascontiguousarray(self.coef, dtype=np.float32)
        self.intercept = np.asarray(self.intercept, dtype=np.float32)
        if self.coef.shape != (len(self.labels), self.features.n_features):
            raise ConfigError(
                f"classifier {self.name!r}: weights have shape {self.coef.shape}, expected "
                f"({len(self.labels)}, {self.features.n_features})"
            )
        self._featurizer = TextFeaturizer(self.features)
        # Transposed once so scoring is a sparse-times-dense product.
        self._coef_t = np.ascontiguousarray(self.coef.T)

    def featurize(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The sparse features for ``texts``; classifiers with the same
        ``features`` can share them through ``predict_proba_features``."""
        return self._featurizer.transform(texts)

    def predict_proba_features(self, features: sp.csr_matrix | FeatureRows) -> np.ndarray:
        """Probabilities from ``featurize`` output (or ``feature_rows``)."""
        if not isinstance(features, FeatureRows):
            features = FeatureRows.from_matrix(features)
        logits = linear_logits(features, self._coef_t, self.intercept)
        return logistic(logits)

    def windows(self, text: str) -> list[str]:
        """The pieces ``predict_proba`` scores for ``text``."""
        size = self.window_chars
        if not size or len(text) <= size:
            return [text]
        step = size // 2
        return [text[i : i + size] for i in range(0, len(text) - step, step)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape ``(len(texts), len(labels))``."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, len(self.labels)))
        if not self.window_chars:
            return self._score(texts)
        pieces = [self.windows(t) for t in texts]
        starts = np.cumsum([0] + [len(p) for p in pieces[:-1]])
        scores = self._score([w for p in pieces for w in p])
        return np.maximum.reduceat(scores, starts, axis=0)

    def _score(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba_features(feature_rows(self._featurizer, texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Booleans, shape ``(len(texts), len(labels))``: probability >= threshold."""
        cut = np.array([self.thresholds.get(label, 0.5) for label in self.labels])
        return self.predict_proba(texts) >= cut

    def save(self, directory: Path) -> None:
        """Write ``config.json`` and ``weights.npz`` into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        quantized, scale = quantize(self.coef)
        np.savez_compressed(
            directory / "weights.npz", coef=quantized, scale=scale, intercept=self.intercept
        )
        config = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "labels": self.labels,
            "thresholds": self.thresholds,
            "thresholds_at_1pct_fpr": self.thresholds_at_1pct_fpr,
            "features": self.features.to_dict(),
            "metadata": self.metadata,
            "window_chars": self.window_chars,
            "side_thresholds": self.side_thresholds,
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> TextClassifier:
        """Read a classifier that ``save`` wrote."""
        config_path = directory / "config.json"
        weights_path = directory / "weights.npz"
        for path in (config_path, weights_path):
            if not path.is_file():
                raise ConfigError(f"classifier artifact {directory}: missing {path.name}")
        try:
            config = json.loads(config_path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid JSON (line {exc.lineno})") from None
        if config.get("format_version") != FORMAT_VERSION:
            raise ConfigError(
                f"{config_path}: format_version {config.get('format_version')!r}, "
                f"expected {FORMAT_VERSION}"
            )
        # allow_pickle=False: an artifact is data, never code.
        with np.load(weights_path, allow_pickle=False) as weights:
            coef = dequantize(weights["coef"], weights["scale"])
            intercept = weights["intercept"]
        return cls(
            name=config["name"],
            labels=list(config["labels"]),
            coef=coef,
            intercept=intercept,
            thresholds={k: float(v) for k, v in config["thresholds"].items()},
            thresholds_at_1pct_fpr={
                k: float(v) for k, v in config.get("thresholds_at_1pct_fpr", {}).items()
            },
            features=_feature_config(config_path, config),
            metadata=config.get("metadata", {}),
            window_chars=int(config.get("window_chars", 0)),
            side_thresholds={
                side: {k: float(v) for k, v in cuts.items()}
                for side, cuts in config.get("side_thresholds", {}).items()
            },
        )


class StackedHeads:
    """The heads of several classifiers with one ``FeatureConfig`` as one weight
    matrix: a text is featurized once and each of its features' weights is
    fetched once for every head (the gather, not the arithmetic, is the cost).

    ``probabilities(texts)`` gives every head's probability; ``columns(i)``
    says which columns are the ``i``-th classifier's. Scores are bit-identical
    to each classifier's own ``predict_proba_features``.
    """

    def __init__(self, classifiers: Sequence[TextClassifier]) -> None:
        if not classifiers:
            raise ValueError("StackedHeads needs at least one classifier")
        self.features = classifiers[0].features
        if any(c.features != self.features for c in classifiers):
            raise ValueError("StackedHeads: classifiers must share one feature configuration")
        self._featurizer = classifiers[0]._featurizer
        self._weights_t = np.ascontiguousarray(np.hstack([c._coef_t for c in classifiers]))
        self._intercept = np.concatenate([c.intercept for c in classifiers])
        edges = np.cumsum([0] + [len(c.labels) for c in classifiers]).tolist()
        self._columns = [slice(a, b) for a, b in itertools.pairwise(edges)]

    def columns(self, index: int) -> slice:
        return self._columns[index]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), all heads)``; no windowing (callers window long texts)."""
        rows = feature_rows(self._featurizer, texts)
        logits = linear_logits(rows, self._weights_t, self._intercept)
        return logistic(logits)

    @property
    def featurizer(self) -> TextFeaturizer:
        """The one featurizer every head reads."""
        return self._featurizer

    def probabilities_of(self, matrix: sp.csr_matrix) -> np.ndarray:
        """``probabilities`` of texts already featurized with ``featurizer.transform``
        (a caller that needs the feature matrix too featurizes once)."""
        logits = linear_logits(FeatureRows.from_matrix(matrix), self._weights_t, self._intercept)
        return logistic(logits)


def _feature_config(path: Path, config: dict[str, Any]) -> FeatureConfig:
    try:
        return FeatureConfig.from_dict(config["features"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: field 'features' is invalid ({exc})") from None


def quantize(coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and the per-head scale that restores them."""
    peak = np.abs(coef).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.round(coef / scale[:, None]).astype(np.int8), scale


def dequantize(quantized: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return quantized.astype(np.float32) * scale[:, None].astype(np.float32)


def artifacts_dir() -> Path:
    """Where the shipped artifacts live inside the installed package."""
    return Path(str(resources.files("redline.classifiers") / "artifacts"))


def load_classifier(name: str, *, directory: Path | None = None) -> TextClassifier:
    """A new ``TextClassifier`` for a shipped model (``harm``, ``jailbreak``,
    ``injection``), read from ``directory`` (default: the package artifacts).

    Each call reads from disk; callers that classify often keep the object.
    """
    if name not in SHIPPED_MODELS:
        raise UnknownNameError(
            f"unknown guard model {name!r}; shipped models: {', '.join(SHIPPED_MODELS)}"
        )
    base = directory if directory is not None else artifacts_dir()
    return TextClassifier.load(base / name)
