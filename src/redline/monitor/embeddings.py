"""Texts to vectors for anomaly detection: the shipped static MiniLM table, or MiniLM.

``static`` is the static word-piece embedding shipped with the classifiers
(``classifiers/artifacts/static-minilm``, distilled from the packaged MiniLM:
one vector per word piece, a text's vector the normalised sum of its pieces').
No transformer runs per text, which is what makes it fast (docs/benchmarks.md
has both measured); a batch is one gather and one segmented sum. The guard's
classifier heads read the same vector as part of their features, so with the
fast scoring path a record's embedding is taken from the features the triage
already computed (``from_features``).

``minilm`` runs the full sentence-transformer (``EmbeddingFeaturizer``) on one core. It is
the CLI's default: on the simulated stream of ``bench/monitor_quality.py`` its kNN
novelty ranks the burst better than the static table (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from redline.classifiers.embedding import EmbeddingFeaturizer
from redline.classifiers.features import FeatureConfig
from redline.classifiers.static_embedding import (
    DEFAULT_STATIC_EMBEDDING,
    StaticEmbedding,
    load_static_embedding,
)
from redline.core.errors import ConfigError

EMBEDDERS: tuple[str, ...] = ("static", "minilm")


class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 rows."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class StaticEmbedder:
    """A :class:`StaticEmbedding` over batches (see the module docstring)."""

    name = "static"

    def __init__(self, embedding: StaticEmbedding) -> None:
        self.embedding = embedding
        self.table = embedding.table
        self.dimension = embedding.dims

    @classmethod
    def packaged(cls) -> StaticEmbedder:
        """The shipped ``static-minilm`` table (read once per process)."""
        return cls(load_static_embedding(DEFAULT_STATIC_EMBEDDING))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit rows, one per text; a text with no known word piece gets zeros."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pieces = [self.embedding.token_ids(text) for text in texts]
        lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        filled = lengths > 0
        if filled.any():
            flat = np.fromiter(
                (i for p in pieces for i in p), dtype=np.int64, count=int(lengths.sum())
            )
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            out[filled] = np.add.reduceat(self.table[flat], starts, axis=0)
        return _normalise(out)

    def reads_features(self, config: FeatureConfig) -> bool:
        """Whether features made with ``config`` hold this embedding as their
        static block (then ``from_features`` can read it instead of embedding)."""
        return (
            bool(config.static_embedding)
            and config.static_dims == self.dimension
            and config.static_weight != 0
            and load_static_embedding(config.static_embedding) is self.embedding
        )

    def from_features(
        self, matrix: sp.csr_matrix, config: FeatureConfig, rows: Sequence[int]
    ) -> np.ndarray:
        """The static block of ``rows`` of a feature matrix, as embeddings: the
        featurizer wrote ``embed(text) * static_weight`` there (for a text within
        its ``max_chars``; callers pass only such rows)."""
        start = config.n_hashed
        block = matrix[np.asarray(rows, dtype=np.int64)][:, start : start + self.dimension]
        values = block.toarray() / np.float32(config.static_weight)
        return np.asarray(values, dtype=np.float32)


class MiniLMEmbedder:
    """The packaged MiniLM sentence-transformer (384 dimensions), one thread."""

    name = "minilm"

    def __init__(self, *, batch_size: int = 64) -> None:
        self._featurizer = EmbeddingFeaturizer(threads=1, batch_size=batch_size)
        self.dimension = self._featurizer.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._featurizer.transform(list(texts))


def load_embedder(name: str) -> Embedder:
    """The embedder called ``name`` (one of :data:`EMBEDDERS`)."""
    if name == "static":
        return StaticEmbedder.packaged()
    if name == "minilm":
        return MiniLMEmbedder()
    raise ConfigError(f"--embedder {name!r}: expected one of {', '.join(EMBEDDERS)}")
