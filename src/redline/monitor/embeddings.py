"""Texts to vectors for anomaly detection: hashed n-grams, the static MiniLM table, or MiniLM.

``ngram`` (the default) is the guard's own hashed word and character n-gram
features (``TextFeaturizer``, the heads' configuration without the dense blocks),
each block's counts square-rooted and L2-normalised, then a fixed sparse random
projection to ``NGRAM_DIMS`` dimensions. Nothing is fitted: the projection is drawn
from a fixed seed, so a vector means the same in every process (and across versions,
while the featurizer's hashing and numpy's PCG64 stream stay the same). On the
simulated streams of ``bench/monitor_embedders.py`` its kNN novelty ranked the
burst better than MiniLM's, at hundreds of times the speed (docs/benchmarks.md).
With the fast scoring path the triage has already featurized the text for the
heads, so a record's embedding is one sparse product (``from_features``).

``static`` is the static word-piece embedding shipped with the classifiers
(``classifiers/artifacts/static-minilm``, distilled from the packaged MiniLM:
one vector per word piece, a text's vector the normalised sum of its pieces').
No transformer runs per text, which is what makes it fast (docs/benchmarks.md
has both measured); a batch is one gather and one segmented sum. The guard's
classifier heads read the same vector as part of their features, so with the
fast scoring path a record's embedding is taken from the features the triage
already computed (``from_features``).

``minilm`` runs the full sentence-transformer (``EmbeddingFeaturizer``) on one core
(about 34 texts a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from redline.classifiers.embedding import EmbeddingFeaturizer
from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.classifiers.static_embedding import (
    DEFAULT_STATIC_EMBEDDING,
    StaticEmbedding,
    load_static_embedding,
)
from redline.core.errors import ConfigError

EMBEDDERS: tuple[str, ...] = ("ngram", "static", "minilm")
DEFAULT_EMBEDDER = "ngram"
# 512 ranked the burst better than 256 and varied less with the projection's seed
# (docs/benchmarks.md); a row is 2 KB in the store, MiniLM's 384 floats 1.5 KB.
NGRAM_DIMS = 512
# Output dimensions each n-gram bucket is added to (with a random sign): several,
# so that no bucket is lost to the projection and collisions average out.
_NGRAM_SPREAD = 4
_NGRAM_SEED = 16


class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 rows."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


@runtime_checkable
class FeatureEmbedder(Protocol):
    """An embedder that can read its vectors from the guard heads' feature matrix."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def reads_features(self, config: FeatureConfig) -> bool: ...

    def from_features(
        self, matrix: sp.csr_matrix, config: FeatureConfig, rows: Sequence[int]
    ) -> np.ndarray: ...


def _sign_projection(inputs: int, dims: int, seed: int) -> sp.csr_matrix:
    """``inputs x dims``: each input row adds to ``_NGRAM_SPREAD`` random columns with
    random signs, scaled so that a unit row keeps its length in expectation."""
    rng = np.random.Generator(np.random.PCG64(seed))
    columns = rng.integers(0, dims, size=(inputs, _NGRAM_SPREAD), dtype=np.int64)
    signs = rng.integers(0, 2, size=(inputs, _NGRAM_SPREAD)).astype(np.float32) * 2 - 1
    values = (signs / np.float32(np.sqrt(_NGRAM_SPREAD))).ravel()
    indptr = np.arange(0, inputs * _NGRAM_SPREAD + 1, _NGRAM_SPREAD, dtype=np.int64)
    projection = sp.csr_matrix((values, columns.ravel(), indptr), shape=(inputs, dims))
    projection.sum_duplicates()
    return projection


class NgramEmbedder:
    """Hashed word and character n-grams, projected (see the module docstring)."""

    name = "ngram"

    def __init__(self, *, dims: int = NGRAM_DIMS, seed: int = _NGRAM_SEED) -> None:
        # The heads' hashed blocks (FeatureConfig's defaults: word 1-2-grams and
        # char 3-5-grams, 2**16 buckets each); no dense blocks.
        self.config = FeatureConfig()
        self._featurizer = TextFeaturizer(self.config)
        self._projection = _sign_projection(self.config.n_hashed, dims, seed)
        self.dimension = dims

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit rows, one per text; a text with no n-gram gets zeros."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._project(self._featurizer.transform(list(texts)))

    def _project(self, hashed: sp.csr_matrix) -> np.ndarray:
        # Square roots damp a text's repeated n-grams (long templated prompts repeat
        # "the" and "you" hundreds of times); each block is then unit length again,
        # so words and characters weigh the same.
        rooted = sp.csr_matrix(hashed, dtype=np.float32, copy=True)
        np.sqrt(rooted.data, out=rooted.data)
        # Block of each entry: 2 * row, +1 for the character block.
        rows = np.repeat(np.arange(rooted.shape[0]), np.diff(rooted.indptr))
        blocks = 2 * rows + (rooted.indices >= self.config.word_features)
        norms = np.sqrt(np.bincount(blocks, weights=rooted.data**2, minlength=2 * rooted.shape[0]))
        rooted.data /= np.maximum(norms[blocks], 1e-12).astype(np.float32)
        return _normalise((rooted @ self._projection).toarray())

    def reads_features(self, config: FeatureConfig) -> bool:
        """Whether ``config``'s hashed blocks are this embedder's (then the heads'
        feature matrix holds every n-gram it needs)."""
        dense = {"static_embedding": "", "static_dims": 0, "static_weight": 1.0, "profanity": False}
        return replace(config, **dense) == replace(self.config, **dense)  # type: ignore[arg-type]

    def from_features(
        self, matrix: sp.csr_matrix, config: FeatureConfig, rows: Sequence[int]
    ) -> np.ndarray:
        """The embeddings of ``rows`` of a feature matrix made with ``config``
        (``reads_features(config)`` must hold): the same vectors ``embed`` gives."""
        picked = matrix[np.asarray(rows, dtype=np.int64)][:, : config.n_hashed]
        return self._project(sp.csr_matrix(picked))


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
    if name == "ngram":
        return NgramEmbedder()
    if name == "static":
        return StaticEmbedder.packaged()
    if name == "minilm":
        return MiniLMEmbedder()
    raise ConfigError(f"--embedder {name!r}: expected one of {', '.join(EMBEDDERS)}")
