"""A small convolutional network over word pieces, scored with numpy alone.

Why: the guard's heads are linear over a bag of n-grams, so a short harmful
request is diluted by the ordinary words around it ("rob a family" scores 0.89
for harm, "I want to rob a family on Christmas." 0.08). A convolution reads each
few neighbouring word pieces and the maximum over the text keeps the strongest
local pattern wherever it sits. Measured beside the harm head on sets never
trained on (``bench/guard_piece_cnn.py``, docs/benchmarks.md).

The network: the static MiniLM word-piece vectors (``static_embedding``, the
table the guard already loads, frozen), convolutions of widths 1-3 with
``filters`` each, ReLU, the maximum over the text, one logistic output. It is
trained with torch (``piece_cnn_training``, the ``train`` extra) and scored here
with numpy: one product of the text's piece vectors with every kernel tap at
once, then shifted sums (~0.25 ms for a 1,000-character message on one core).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from redline.classifiers.artifact_config import read_artifact_config
from redline.classifiers.static_embedding import (
    DEFAULT_STATIC_EMBEDDING,
    StaticEmbedding,
    load_static_embedding,
)
from redline.core.errors import ConfigError

PIECE_CNN_FORMAT = "piece-cnn-v1"
# Pieces read per text (its first ones): a harmful request is short, and the
# cost grows with the pieces read.
MAX_PIECES = 200


def piece_ids(table: StaticEmbedding, text: str, max_pieces: int = MAX_PIECES) -> list[int]:
    """The word pieces a network reads for ``text``: its first ``max_pieces``, or
    ``[0]``, the padding piece, for a text with none."""
    return table.token_ids(text)[:max_pieces] or [0]


@dataclass
class PieceCNN:
    """Weights of the network. ``kernels[i]`` has shape ``(width, dims, filters)``
    (tap j of a width-k convolution reads the piece ``j - k // 2`` positions from
    the one it scores, zero outside the text, as torch's ``Conv1d`` with padding
    ``k // 2`` cut to the text's length); ``out_weight`` has one entry per filter
    of every width, in order."""

    kernels: list[np.ndarray]
    biases: list[np.ndarray]
    out_weight: np.ndarray
    out_bias: float
    embedding: str = DEFAULT_STATIC_EMBEDDING
    max_pieces: int = MAX_PIECES
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kernels = [np.ascontiguousarray(k, dtype=np.float32) for k in self.kernels]
        self.biases = [np.asarray(b, dtype=np.float32) for b in self.biases]
        self.out_weight = np.asarray(self.out_weight, dtype=np.float32)
        if not self.kernels or len(self.kernels) != len(self.biases):
            raise ConfigError("piece CNN: needs one bias per kernel and at least one kernel")
        dims, filters = self.kernels[0].shape[1:]
        for kernel, bias in zip(self.kernels, self.biases, strict=True):
            if kernel.ndim != 3 or kernel.shape[1:] != (dims, filters) or bias.shape != (filters,):
                raise ConfigError(
                    f"piece CNN: kernel of shape {kernel.shape} with bias {bias.shape}; "
                    f"expected (width, {dims}, {filters}) and ({filters},)"
                )
        if self.out_weight.shape != (len(self.kernels) * filters,):
            raise ConfigError(
                f"piece CNN: output weights of shape {self.out_weight.shape}, expected "
                f"({len(self.kernels) * filters},)"
            )
        self.dims, self.filters = int(dims), int(filters)
        # (dims, taps * filters): every tap of every width side by side, in order.
        self._all_taps = np.ascontiguousarray(
            np.concatenate([tap for kernel in self.kernels for tap in kernel], axis=1)
        )
        self._table: StaticEmbedding | None = None

    @property
    def table(self) -> StaticEmbedding:
        """The word-piece vectors the network reads (loaded on first use)."""
        if self._table is None:
            table = load_static_embedding(self.embedding)
            if table.dims != self.dims:
                raise ConfigError(
                    f"piece CNN reads {self.dims}-dimension pieces but the static embedding "
                    f"{self.embedding!r} has {table.dims}"
                )
            self._table = table
        return self._table

    def piece_ids(self, text: str) -> list[int]:
        """The word pieces the network reads for ``text`` (module ``piece_ids``)."""
        return piece_ids(self.table, text, self.max_pieces)

    def logit_of_ids(self, ids: Sequence[int]) -> float:
        """The network's output (before the logistic) for one text's piece ids
        (``piece_ids``; no ids reads as the padding piece)."""
        ids = ids or [0]
        n, f = len(ids), self.filters
        products = self.table.table.take(ids, axis=0) @ self._all_taps
        pooled, column = [], 0
        for kernel, bias in zip(self.kernels, self.biases, strict=True):
            width = len(kernel)
            acc = np.tile(bias, (n, 1))
            for j in range(width):
                shift = j - width // 2  # position t reads piece t + shift
                part = products[:, column : column + f]
                if shift < 0:
                    acc[-shift:] += part[: n + shift]
                elif shift > 0:
                    acc[: n - shift] += part[shift:]
                else:
                    acc += part
                column += f
            pooled.append(np.maximum(acc, 0.0).max(axis=0))
        return float(np.concatenate(pooled) @ self.out_weight + self.out_bias)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """One output (before the logistic) per text, float64."""
        if isinstance(texts, str):
            raise TypeError("logits takes a sequence of texts, not one string")
        return np.array([self.logit_of_ids(self.piece_ids(t)) for t in texts], dtype=np.float64)

    def save(self, directory: Path) -> None:
        """Write ``weights.npz`` (float32) and ``config.json`` into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {f"kernel_{i}": k for i, k in enumerate(self.kernels)}
        arrays.update({f"bias_{i}": b for i, b in enumerate(self.biases)})
        np.savez_compressed(
            directory / "weights.npz",
            out_weight=self.out_weight,
            out_bias=np.array([self.out_bias], dtype=np.float32),
            **arrays,
        )
        config = {
            "format": PIECE_CNN_FORMAT,
            "widths": [len(k) for k in self.kernels],
            "filters": self.filters,
            "dims": self.dims,
            "embedding": self.embedding,
            "max_pieces": self.max_pieces,
            "metadata": self.metadata,
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> PieceCNN:
        """Read what ``save`` wrote; a ConfigError names the file and what is wrong."""
        config = read_artifact_config(
            directory, what="piece CNN", files=("weights.npz",), expected_format=PIECE_CNN_FORMAT
        )
        config_path = directory / "config.json"
        widths = config.get("widths")
        if not isinstance(widths, list) or not widths:
            raise ConfigError(f"{config_path}: field 'widths' must be a non-empty list")
        try:
            with np.load(directory / "weights.npz", allow_pickle=False) as data:
                kernels = [data[f"kernel_{i}"] for i in range(len(widths))]
                biases = [data[f"bias_{i}"] for i in range(len(widths))]
                out_weight, out_bias = data["out_weight"], float(data["out_bias"][0])
        except (KeyError, ValueError, OSError) as exc:
            raise ConfigError(f"{directory / 'weights.npz'}: unreadable ({exc})") from None
        if [len(k) for k in kernels] != widths:
            raise ConfigError(
                f"{config_path}: field 'widths' is {widths} but the kernels have widths "
                f"{[len(k) for k in kernels]}"
            )
        return cls(
            kernels=kernels,
            biases=biases,
            out_weight=out_weight,
            out_bias=out_bias,
            embedding=str(config.get("embedding", DEFAULT_STATIC_EMBEDDING)),
            max_pieces=int(config.get("max_pieces", MAX_PIECES)),
            metadata=dict(config.get("metadata") or {}),
        )
