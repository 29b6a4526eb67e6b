"""Hashed word and character n-gram features, computed with numpy.

sklearn's HashingVectorizer spends most of a single-message call in Python
generators and input validation (~1.5 ms for 1,000 characters here); this does
the same job with vectorised rolling hashes, and is deterministic across
processes and platforms (no salted ``hash()``). ``transform`` featurizes a
batch's texts together: their codes end to end, n-grams that would cross from
one text into the next dropped, and one sort of (text, column) keys counting
every text at once. A text's features are the same bits alone or in a batch.

Features: word 1..N-grams (tokens ``\\w+``) hashed into ``word_features``
buckets and character n-grams over the lower-cased, whitespace-collapsed text
hashed into ``char_features`` buckets; each block is L2-normalised counts.

Optional dense blocks follow the hashed ones in the same vector (so one linear
head reads them all): a static word-piece embedding distilled from MiniLM
(``static_embedding``: its name, ``static_dims`` columns, scaled by
``static_weight``) and the ``alt-profanity-check`` probability (``profanity``:
one column).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from redline.classifiers.profanity_feature import ProfanityScorer
from redline.classifiers.static_embedding import StaticEmbedding, load_static_embedding
from redline.core.errors import ConfigError

_TOKEN = re.compile(r"\w+")
# bytes.translate table: ASCII word characters (as the regex sees them) kept,
# every other byte a space.
_ASCII_WORDS = bytes(i if i < 128 and _TOKEN.fullmatch(chr(i)) else 0x20 for i in range(256))
# The hashes are uint32 arithmetic: products wrap modulo 2**32, as defined.
_MULT = np.uint32(0x01000193)  # FNV prime: a good odd multiplier for the rolling hash
_FMIX1 = np.uint32(0x85EBCA6B)
_FMIX2 = np.uint32(0xC2B2AE35)
_U13 = np.uint32(13)
_U16 = np.uint32(16)
# Texts featurized in one pass by transform: enough to amortise numpy's per-call
# costs, few enough that the pass's arrays stay in cache (~1 MB of sort keys for
# 1,000-character texts; 64 rows measured ~15% faster a text than 1,024 here) and
# its (text, column) keys fit in uint32.
_BATCH_ROWS = 64
_MAX_HASHED = 2**32 // _BATCH_ROWS
_NO_HASHES = np.zeros(0, dtype=np.uint32)
_NO_ROWS = np.zeros(0, dtype=np.uint32)
# Integers below 2**24 are exact in float32 (see _block_norms).
_EXACT_F32 = 2**24


@dataclass(frozen=True)
class FeatureConfig:
    """How text becomes a sparse vector. Changing any field changes the features,
    so it is saved with the weights."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    word_features: int = 2**16
    char_features: int = 2**16
    # Long documents are cut to their first and last halves of this many
    # characters: cost grows with length, and injected instructions sit near
    # either end more often than deep in the middle.
    max_chars: int = 6000
    # A static embedding artifact (``static_embedding.load_static_embedding``
    # name or directory); "" for none. ``static_dims`` must match its table.
    static_embedding: str = ""
    static_dims: int = 0
    static_weight: float = 1.0
    profanity: bool = False

    @property
    def n_hashed(self) -> int:
        return self.word_features + self.char_features

    @property
    def n_features(self) -> int:
        return self.n_hashed + self.static_dims + int(self.profanity)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "hashed-ngrams-v1",
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams),
            "word_features": self.word_features,
            "char_features": self.char_features,
            "max_chars": self.max_chars,
        }
        # Written only when used, so hashed-only configs stay byte-identical.
        if self.static_embedding:
            out["static_embedding"] = self.static_embedding
            out["static_dims"] = self.static_dims
            out["static_weight"] = self.static_weight
        if self.profanity:
            out["profanity"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        if data.get("kind", "hashed-ngrams-v1") != "hashed-ngrams-v1":
            raise ValueError(f"unknown feature kind {data.get('kind')!r}")
        lo_w, hi_w = data["word_ngrams"]
        lo_c, hi_c = data["char_ngrams"]
        return cls(
            word_ngrams=(int(lo_w), int(hi_w)),
            char_ngrams=(int(lo_c), int(hi_c)),
            word_features=int(data["word_features"]),
            char_features=int(data["char_features"]),
            max_chars=int(data["max_chars"]),
            static_embedding=str(data.get("static_embedding", "")),
            static_dims=int(data.get("static_dims", 0)),
            static_weight=float(data.get("static_weight", 1.0)),
            profanity=bool(data.get("profanity", False)),
        )


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, in place: spreads the rolling hash over all
    bits so that taking it modulo the bucket count is uniform. ``h`` is uint32,
    so every product wraps modulo 2**32 as the hash is defined."""
    h ^= h >> _U16
    h *= _FMIX1
    h ^= h >> _U13
    h *= _FMIX2
    h ^= h >> _U16
    return h


def _ngram_hashes(
    units: np.ndarray, lo: int, hi: int, segments: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rolling hashes (uint32, before ``_fmix``) of every n-gram (lo <= n <= hi)
    of a sequence of uint32 codes, one array per n.

    ``units`` may hold several texts end to end; ``segments`` is then (the text
    of each unit, the units left in its text from each position, see
    ``_segments``): n-grams that would run into the next text are dropped, and
    the second list holds the text of each hash. ``None`` means one text.
    """
    hashes_out: list[np.ndarray] = []
    rows_out: list[np.ndarray] = []
    rolling = units
    for n in range(1, min(hi, len(units)) + 1):
        if n > 1:
            # Extend every (n-1)-gram hash by the next unit: one pass per n.
            rolling = rolling[:-1] * _MULT + units[n - 1 :]
        if n < lo:
            continue
        # Mixing in n keeps n-grams of different lengths with equal hash apart.
        hashes = rolling + np.uint32((n * 0x9E3779B1) & 0xFFFFFFFF)
        if segments is None:
            hashes_out.append(hashes)
        else:
            row, room = segments
            inside = room[: len(hashes)] >= n
            hashes_out.append(hashes[inside])
            rows_out.append(row[: len(hashes)][inside])
    return hashes_out, rows_out


def _segments(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For texts of ``lengths`` units laid end to end: the text of each unit, and
    the units left in its text from each position (``lengths[r] - i`` at offset
    ``i`` of text ``r``)."""
    total = int(lengths.sum())
    rows = np.repeat(np.arange(len(lengths), dtype=np.uint32), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)
    return rows, room


def _lowered(clipped: str) -> str:
    """Lower case, each whitespace run one space, no space at either end.
    ``str.split()`` splits on exactly the characters the regex ``\\s`` matches."""
    return " ".join(clipped.lower().split())


def _word_codes(lowered: str) -> np.ndarray:
    """CRC-32 (uint32) of each word's UTF-8 bytes (words: the ``\\w+`` runs)."""
    if lowered.isascii():
        # Same words as the regex, ~4x faster: for ASCII, \w is [A-Za-z0-9_],
        # so blank out the rest and split the bytes (which are also the UTF-8).
        words = lowered.encode("ascii").translate(_ASCII_WORDS).split()
        return np.fromiter(map(zlib.crc32, words), dtype=np.uint32, count=len(words))
    tokens = _TOKEN.findall(lowered)
    return np.fromiter(map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint32, count=len(tokens))


def _buckets(hashes: np.ndarray, n_buckets: int) -> np.ndarray:
    """``hashes % n_buckets``; a mask for a power of two (~10x cheaper, same result)."""
    if n_buckets & (n_buckets - 1) == 0:
        return hashes & np.uint32(n_buckets - 1)
    return hashes % np.uint32(n_buckets)


def _sorted_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``keys`` and how often each occurs
    (``np.unique`` without its sort and overheads)."""
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = first.nonzero()[0]
    counts = np.empty(len(starts), dtype=np.int64)
    counts[:-1] = starts[1:] - starts[:-1]
    counts[-1:] = len(keys) - starts[-1:]
    return keys[starts], counts


def _block_norms(values: np.ndarray, bounds: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """L2 norm (float32) of each block ``values[bounds[b]:bounds[b + 1]]``,
    exactly as ``np.sqrt(np.dot(block, block))`` in float32 gives it.

    ``sums`` are the exact sums of squared counts per block. Below 2**24 every
    partial sum of the dot product is an exact float32 integer, so any summation
    order gives ``sums``; a larger one (a text repeating one n-gram thousands of
    times) takes the dot product itself, whose rounding depends on its order.
    """
    squares = sums.astype(np.float32)
    for block in np.flatnonzero(sums >= _EXACT_F32):
        block_values = values[bounds[block] : bounds[block + 1]]
        squares[block] = np.dot(block_values, block_values)
    norms: np.ndarray = np.sqrt(squares)
    return norms


class TextFeaturizer:
    """Turns texts into the hashed feature matrix a ``FeatureConfig`` describes."""

    def __init__(self, config: FeatureConfig) -> None:
        # Columns, and the (text, column) keys of a batch, are uint32.
        if min(config.word_features, config.char_features) < 1 or config.n_hashed > _MAX_HASHED:
            raise ConfigError(
                f"feature config: word_features={config.word_features}, char_features="
                f"{config.char_features}; each must be at least 1 and their sum at most "
                f"{_MAX_HASHED}"
            )
        self.config = config
        self._static: StaticEmbedding | None = None
        if config.static_embedding:
            self._static = load_static_embedding(config.static_embedding)
            if self._static.dims != config.static_dims:
                raise ConfigError(
                    f"static embedding {config.static_embedding!r} has {self._static.dims} "
                    f"dimensions; the feature config says static_dims={config.static_dims}"
                )
        self._profanity = ProfanityScorer.shared() if config.profanity else None
        self._dense_idx = np.arange(config.n_hashed, config.n_features, dtype=np.int64)

    def _clip(self, text: str) -> str:
        limit = self.config.max_chars
        if len(text) <= limit:
            return text
        half = limit // 2
        return f"{text[:half]}\n{text[-half:]}"

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one text's feature vector, indices sorted."""
        clipped = self._clip(text)
        idx, values = self._hashed_one(_lowered(clipped))
        if not len(self._dense_idx):
            return idx, values
        return (
            np.concatenate([idx, self._dense_idx]),
            np.concatenate([values, self._dense(clipped)]),
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """A ``len(texts) x n_features`` CSR matrix; row ``i`` holds exactly
        ``features(texts[i])``. The hashed blocks of up to ``_BATCH_ROWS`` texts
        are computed together, in a few numpy passes over the texts end to end."""
        clipped = [self._clip(text) for text in texts]
        parts = [
            self._hashed_batch([_lowered(text) for text in clipped[start : start + _BATCH_ROWS]])
            for start in range(0, len(clipped), _BATCH_ROWS)
        ]
        counts = np.concatenate([part[0] for part in parts] or [np.zeros(0, np.int64)])
        idx = np.concatenate([part[1] for part in parts] or [np.zeros(0, np.int64)])
        values = np.concatenate([part[2] for part in parts] or [np.zeros(0, np.float32)])
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        hashed = sp.csr_matrix((values, idx, indptr), shape=(len(texts), self.config.n_hashed))
        if not len(self._dense_idx):
            return hashed
        # Each row's dense block after its hashed entries; hstack joins the rows in
        # one vectorised pass (an index scatter cost ~2x as much).
        return sp.csr_matrix(sp.hstack([hashed, self._dense_rows(clipped)], format="csr"))

    def _dense_rows(self, clipped: list[str]) -> sp.csr_matrix:
        """Every text's dense block as CSR rows, zeros kept (as ``features`` gives them)."""
        n_rows, n_dense = len(clipped), len(self._dense_idx)
        dense = np.zeros((n_rows, n_dense), dtype=np.float32)
        for row, text in enumerate(clipped):
            dense[row] = self._dense(text)
        return sp.csr_matrix(
            (
                dense.ravel(),
                np.tile(np.arange(n_dense, dtype=np.int64), n_rows),
                np.arange(0, n_rows * n_dense + 1, n_dense, dtype=np.int64),
            ),
            shape=(n_rows, n_dense),
        )

    def _dense(self, clipped: str) -> np.ndarray:
        parts = []
        if self._static is not None:
            parts.append(self._static.embed(clipped) * np.float32(self.config.static_weight))
        if self._profanity is not None:
            parts.append(np.array([self._profanity.score(clipped)], dtype=np.float32))
        return np.concatenate(parts)

    def _keys(self, word_hashes: list[np.ndarray], char_hashes: list[np.ndarray]) -> np.ndarray:
        """Column (uint32) of each n-gram: its mixed hash bucketed, char n-grams
        after the word block. All hashes are mixed in one pass."""
        cfg = self.config
        n_words = sum(map(len, word_hashes))
        hashes = _fmix(np.concatenate([*word_hashes, *char_hashes, _NO_HASHES]))
        if cfg.word_features == cfg.char_features:
            keys = _buckets(hashes, cfg.word_features)
        else:
            keys = np.concatenate(
                [
                    _buckets(hashes[:n_words], cfg.word_features),
                    _buckets(hashes[n_words:], cfg.char_features),
                ]
            )
        keys[n_words:] += np.uint32(cfg.word_features)
        return keys

    def _hashed_one(self, lowered: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one (clipped, lowered) text's hashed blocks.
        Every numpy call counts at this size (~1,000 characters), hence a path
        of its own, with the fewest calls."""
        cfg = self.config
        chars = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32)
        keys = self._keys(
            _ngram_hashes(_word_codes(lowered), *cfg.word_ngrams)[0],
            _ngram_hashes(chars, *cfg.char_ngrams)[0],
        )
        keys.sort()
        unique, counts = _sorted_counts(keys)
        split = int(np.searchsorted(unique, np.uint32(cfg.word_features)))
        values = counts.astype(np.float32)
        for block in (values[:split], values[split:]):
            if len(block):
                # Each block is L2-normalised on its own.
                block /= np.sqrt(np.dot(block, block))
        return unique.astype(np.int64), values

    def _hashed_batch(self, lowered: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The hashed blocks of several (clipped, lowered) texts: entries per
        text, then column indices (int64) and values (float32) of all texts in
        order, each text's columns sorted; each row equals ``_hashed_one``."""
        cfg = self.config
        n_rows, n_hashed = len(lowered), cfg.n_hashed
        words = [_word_codes(text) for text in lowered]
        word_hashes, word_rows = _ngram_hashes(
            np.concatenate([*words, _NO_HASHES]),
            *cfg.word_ngrams,
            _segments(np.fromiter(map(len, words), np.intp, n_rows)),
        )
        char_hashes, char_rows = _ngram_hashes(
            np.frombuffer("".join(lowered).encode("utf-32-le"), dtype=np.uint32),
            *cfg.char_ngrams,
            _segments(np.fromiter(map(len, lowered), np.intp, n_rows)),
        )
        # (text, column) in one integer, so that one sort orders and counts both
        # blocks of every text (transform keeps n_rows * n_hashed within uint32).
        keys = self._keys(word_hashes, char_hashes)
        keys += np.concatenate([*word_rows, *char_rows, _NO_ROWS]) * np.uint32(n_hashed)
        keys.sort()
        unique, counts = _sorted_counts(keys)
        # Where each text's word block (key r * n_hashed) and char block
        # (r * n_hashed + word_features) start; each is L2-normalised on its own.
        row_keys = np.arange(n_rows, dtype=np.uint32) * np.uint32(n_hashed)
        block_keys = np.stack([row_keys, row_keys + np.uint32(cfg.word_features)], axis=1)
        bounds = np.append(np.searchsorted(unique, block_keys.ravel()), len(unique))
        squares = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts * counts, out=squares[1:])
        values = counts.astype(np.float32)
        norms = _block_norms(values, bounds, squares[bounds[1:]] - squares[bounds[:-1]])
        values /= np.repeat(norms, np.diff(bounds))
        entries = bounds[2::2] - bounds[:-1:2]
        columns = unique.astype(np.int64)
        columns -= np.repeat(row_keys.astype(np.int64), entries)
        return entries, columns, values
