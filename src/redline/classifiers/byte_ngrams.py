"""Hashed byte n-grams of a whole batch of texts at once, in numpy.

The monitor's screen (:mod:`redline.classifiers.monitor_screen`) scores every
record of a traffic log, so its features must cost a few microseconds a text.
Nothing here loops over texts in Python:

1. The batch is joined with a NUL separator, encoded once as UTF-8 and
   lower-cased (ASCII letters) into one byte buffer.
2. Each byte gets the index of its text (a running count of separators) and of
   its *window*: a text is cut into windows of ``window_bytes`` so that one
   harmful paragraph is not diluted by a long harmless document around it.
3. For each n (at most 8), the n bytes starting at every byte are read at once
   as one little-endian 64-bit word (a strided view of the buffer, no copy per
   n-gram), masked to n bytes: the n-gram itself is the key, so no rolling hash
   is needed. A multiplicative hash (``key * odd constant``, the top ``bits``)
   picks the bucket. An n-gram that would run into a separator (so across two
   texts) gets the trash bucket, whose weights are zero.

A model then scores a window as ``sum(W[bucket]) / sqrt(n-grams)`` with
``np.bincount`` over window ids: no sparse matrix at scoring time. For training,
:func:`window_matrix` builds the same features as a CSR matrix.
:func:`reference_ngrams` is the plain per-text definition the tests hold the
vectorised code to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

SEPARATOR = "\x00"
# Fibonacci hashing: the golden-ratio multiplier spreads keys over the top bits.
# n-grams of up to 4 bytes are hashed in 32-bit words (half the memory traffic).
_MULTIPLIER = {4: 0x9E3779B1, 8: 0x9E3779B97F4A7C15}
_WORD = 8  # the longest n-gram: one 64-bit word


@dataclass(frozen=True)
class ByteNgramConfig:
    """How texts become hashed byte n-grams.

    ``bits``: log2 of the bucket count. ``sizes``: the n of the n-grams (bytes).
    ``window_bytes``: the width of a scoring window (a text's bytes are cut at
    multiples of it; an n-gram belongs to the window it starts in).
    """

    bits: int = 18
    sizes: tuple[int, ...] = (2, 3, 4, 5)
    window_bytes: int = 2048

    def __post_init__(self) -> None:
        if not 8 <= self.bits <= 24:
            raise ValueError(f"bits must be in 8..24, got {self.bits}")
        if not self.sizes or min(self.sizes) < 1 or max(self.sizes) > _WORD:
            raise ValueError(f"sizes must be n-gram lengths in 1..{_WORD}, got {self.sizes}")
        if self.window_bytes < max(self.sizes):
            raise ValueError(f"window_bytes {self.window_bytes} is shorter than an n-gram")

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    def to_dict(self) -> dict[str, Any]:
        return {"bits": self.bits, "sizes": list(self.sizes), "window_bytes": self.window_bytes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ByteNgramConfig:
        return cls(
            bits=int(data["bits"]),
            sizes=tuple(int(n) for n in data["sizes"]),
            window_bytes=int(data["window_bytes"]),
        )


@dataclass(frozen=True)
class BatchNgrams:
    """Every n-gram of a batch, laid out by byte position.

    ``buckets[k, i]`` is the bucket of the n-gram of the ``k``-th size starting at
    byte ``i`` of the joined buffer, or ``trash`` (one past the last bucket) where
    no n-gram of that size starts (a separator, or too near a text's end).
    Windows are contiguous byte ranges: window ``w`` starts at
    ``window_starts[w]``. ``window_of_text[t]`` is text ``t``'s first window
    (every text has at least one; an empty text's holds only its separator).
    """

    buckets: np.ndarray  # (sizes, bytes) int32
    window_starts: np.ndarray  # (windows,) int64
    window_of_text: np.ndarray  # (texts,) int64
    text_of_window: np.ndarray  # (windows,) int64
    counts: np.ndarray  # (windows,) int64: n-grams in each window
    trash: int

    @property
    def window_count(self) -> int:
        return int(self.window_starts.shape[0])

    def normalised(self, sums: np.ndarray) -> np.ndarray:
        """``window_sums`` divided by the square root of each window's n-gram count."""
        scale = 1.0 / np.sqrt(np.maximum(self.counts, 1)).astype(np.float32)
        scaled: np.ndarray = sums * (scale[:, None] if sums.ndim == 2 else scale)
        return scaled

    def window_sums(self, table: np.ndarray) -> np.ndarray:
        """Per window, the sum over its n-grams of ``table[bucket]``: ``table`` has
        ``trash + 1`` rows (the last, the trash row, zeros) and one column per score."""
        if self.window_count == 0:
            return np.zeros((0, table.shape[1]), dtype=table.dtype)
        rows = np.take(table, self.buckets, axis=0)  # (sizes, bytes, columns)
        per_byte = rows.sum(axis=0) if rows.shape[0] > 1 else rows[0]
        return np.add.reduceat(per_byte, self.window_starts, axis=0)

    def text_max(self, per_window: np.ndarray) -> np.ndarray:
        """The highest value of each text's windows (the window that looks worst)."""
        return np.maximum.reduceat(per_window, self.window_of_text, axis=0)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(window, bucket)`` of every n-gram (for training and for tests)."""
        byte_count = self.buckets.shape[1]
        lengths = np.diff(np.append(self.window_starts, byte_count))
        window_of_byte = np.repeat(np.arange(self.window_count, dtype=np.int64), lengths)
        real = self.buckets != self.trash
        windows = np.broadcast_to(window_of_byte, self.buckets.shape)[real]
        return windows, self.buckets[real].astype(np.int64)


def _joined_bytes(texts: Sequence[str]) -> np.ndarray:
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != len(texts) - 1:
        # A NUL inside a text would split it in two: read it as a space (rare;
        # the reference does the same).
        joined = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in texts)
    # A closing separator (every window, an empty last text's too, has a byte),
    # then padding so a word can be read at every byte; the caller drops it.
    # ASCII lower-casing on the bytes: str.lower() costs ten times as much on a
    # batch holding any non-ASCII character (letters outside ASCII keep their case).
    encoded = (joined + SEPARATOR * (1 + _WORD)).encode("utf-8", "surrogatepass").lower()
    return np.frombuffer(encoded, dtype=np.uint8)


def batch_ngrams(texts: Sequence[str], config: ByteNgramConfig) -> BatchNgrams:
    """The hashed n-grams of ``texts`` (see the module docstring)."""
    count = len(texts)
    trash = config.buckets
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return BatchNgrams(
            np.zeros((len(config.sizes), 0), dtype=np.int32), empty, empty, empty, empty, trash
        )
    padded = _joined_bytes(texts)
    size = padded.shape[0] - _WORD
    separators = np.flatnonzero(padded[:size] == 0)  # one after each text
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = separators[:-1] + 1
    lengths = separators - starts
    width = config.window_bytes
    windows_per_text = np.maximum(1, -(-lengths // width))
    window_of_text = np.zeros(count, dtype=np.int64)
    np.cumsum(windows_per_text[:-1], out=window_of_text[1:])
    text_of_window = np.repeat(np.arange(count, dtype=np.int64), windows_per_text)
    within = np.arange(windows_per_text.sum(), dtype=np.int64) - window_of_text[text_of_window]
    window_starts = starts[text_of_window] + within * width
    text_ends = separators[text_of_window]
    window_ends = np.minimum(window_starts + width, text_ends)
    counts = np.zeros(window_starts.shape[0], dtype=np.int64)
    out = np.empty((len(config.sizes), size), dtype=np.int32)
    for row, n in enumerate(config.sizes):
        # n-grams starting in the window that end inside the text.
        counts += np.maximum(0, np.minimum(window_ends, text_ends - n + 1) - window_starts)
        word = 4 if n <= 4 else 8
        kind = np.uint32 if word == 4 else np.uint64
        words = np.ndarray(shape=(size,), dtype=f"<u{word}", buffer=padded, strides=(1,))
        keys = words & kind((1 << (8 * n)) - 1) if n < word else words.copy()
        keys *= kind(_MULTIPLIER[word])
        keys >>= kind(8 * word - config.bits)
        np.copyto(out[row], keys, casting="unsafe")
        # The n-grams that would take in a separator: the n starting at or
        # before each one (a handful per text, set by index).
        crossing = (separators[:, None] - np.arange(n)[None, :]).ravel()
        out[row][crossing[crossing >= 0]] = trash
    return BatchNgrams(out, window_starts, window_of_text, text_of_window, counts, trash)


def window_matrix(ngrams: BatchNgrams, config: ByteNgramConfig) -> sp.csr_matrix:
    """The features as a CSR matrix, one row per window: bucket counts divided by
    the square root of the window's n-gram count (what the scorer computes)."""
    windows, buckets = ngrams.pairs()
    scale = (1.0 / np.sqrt(np.maximum(ngrams.counts, 1))).astype(np.float32)
    matrix = sp.csr_matrix(
        (scale[windows], (windows, buckets)),
        shape=(ngrams.window_count, config.buckets),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


def reference_ngrams(text: str, config: ByteNgramConfig) -> list[tuple[int, int]]:
    """``(window, bucket)`` of every n-gram of one text, computed plainly, n-gram
    by n-gram with Python integers: the definition :func:`batch_ngrams` must equal."""
    data = text.replace(SEPARATOR, " ").encode("utf-8", "surrogatepass").lower()
    found = []
    for n in config.sizes:
        for start in range(len(data) - n + 1):
            key = int.from_bytes(data[start : start + n], "little")
            word = 4 if n <= 4 else 8
            hashed = (key * _MULTIPLIER[word]) % (1 << (8 * word))
            bucket = hashed >> (8 * word - config.bits)
            found.append((start // config.window_bytes, bucket))
    return found
