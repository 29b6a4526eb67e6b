"""Near-duplicate clustering of report texts: character n-gram MinHash with LSH.

Method (all in numpy, one core):

1. Normalise: lower-case, every run of non-alphanumeric characters becomes one
   space. Redaction placeholders (``[EMAIL]``) normalise like words.
2. Shingle: the set of character 5-grams of the normalised text, each hashed
   to 64 bits by a polynomial rolling hash.
3. MinHash: 64 multiply-shift hash functions; a text's signature is the
   minimum of each over its shingles. Two signatures agree in a position with
   probability equal to the Jaccard similarity of the shingle sets.
4. LSH: 16 bands of 4 rows; texts that agree on a whole band are candidates
   (a pair at Jaccard 0.5 becomes a candidate with probability 0.65, at 0.7
   with 0.99).
5. Verify: a candidate pair is a near-duplicate when its signatures agree in
   at least ``threshold`` of the 64 positions (default 0.5: estimated 5-gram
   Jaccard >= 0.5). Clusters are the connected components of verified pairs.

Within a bucket each member is compared with the bucket's first member and its
neighbour in sorted order, so the work is linear in the number of texts, not
quadratic in bucket size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

DEFAULT_THRESHOLD = 0.5
SHINGLE_CHARS = 5
NUM_PERM = 64
BANDS = 16
_CHUNK_DOCS = 8192
_NON_WORD = re.compile(r"[\W_]+")
_MASK32 = np.uint64(0xFFFFFFFF)


def normalise(text: str) -> str:
    """Lower-case, with every run of punctuation and spaces turned into one space."""
    return _NON_WORD.sub(" ", text.lower()).strip()


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """How similar two texts must be to share a cluster; see the module docstring."""

    threshold: float = DEFAULT_THRESHOLD
    shingle_chars: int = SHINGLE_CHARS
    num_perm: int = NUM_PERM
    bands: int = BANDS
    seed: int = 1

    def describe(self) -> str:
        rows = self.num_perm // self.bands
        return (
            f"MinHash over character {self.shingle_chars}-grams, {self.num_perm} hashes, "
            f"LSH {self.bands}x{rows}; pairs with estimated Jaccard >= {self.threshold:g} "
            "are near-duplicates"
        )


def _shingles(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed character n-grams of every text, concatenated, and each text's start offset."""
    padded = [t if len(t) >= n else t.ljust(n) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = codes.size - n + 1
    rolling = np.zeros(windows, dtype=np.uint64)
    base = np.uint64(1_000_003)
    for k in range(n):
        rolling = rolling * base + codes[k : k + windows]
    doc_of = np.repeat(np.arange(len(padded)), lengths)
    valid = doc_of[:windows] == doc_of[n - 1 :]
    hashes = rolling[valid]
    counts = lengths - n + 1
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return hashes, offsets


def _coefficients(settings: DedupSettings) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(settings.seed)
    a = rng.integers(1, 2**63, size=settings.num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=settings.num_perm, dtype=np.uint64)
    return a, b


def minhash_signatures(texts: Sequence[str], settings: DedupSettings | None = None) -> np.ndarray:
    """A ``(len(texts), num_perm)`` uint32 MinHash matrix of the normalised texts."""
    settings = settings or DedupSettings()
    a, b = _coefficients(settings)
    signatures = np.empty((len(texts), settings.num_perm), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for start in range(0, len(texts), _CHUNK_DOCS):
            chunk = [normalise(t) for t in texts[start : start + _CHUNK_DOCS]]
            hashes, offsets = _shingles(chunk, settings.shingle_chars)
            for k in range(settings.num_perm):
                # Multiply-shift hashing: wrap-around multiply, keep the high 32 bits.
                permuted = (hashes * a[k] + b[k]) >> np.uint64(32)
                signatures[start : start + len(chunk), k] = np.minimum.reduceat(permuted, offsets)
    return signatures


def _band_keys(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    key = np.zeros(signatures.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(rows):
            key = key * np.uint64(0x9E3779B97F4A7C15) + block[:, column]
    return key


def candidate_pairs(signatures: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """Unique ``(i, j)`` index pairs (i < j) that share at least one LSH band."""
    rows = settings.num_perm // settings.bands
    n = signatures.shape[0]
    found = []
    for band in range(settings.bands):
        keys = _band_keys(signatures, band, rows)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            continue
        positions = np.arange(n)
        group_start = np.maximum.accumulate(np.where(np.concatenate(([False], same)), 0, positions))
        neighbours = np.stack([order[:-1][same], order[1:][same]], axis=1)
        members = positions[group_start != positions]
        stars = np.stack([order[group_start[members]], order[members]], axis=1)
        found.extend([neighbours, stars])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def similar_pairs(signatures: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """Candidate pairs whose signatures agree in at least ``threshold`` of positions."""
    pairs = candidate_pairs(signatures, settings)
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), 200_000):
        block = pairs[start : start + 200_000]
        agreement = (signatures[block[:, 0]] == signatures[block[:, 1]]).mean(axis=1)
        keep[start : start + len(block)] = agreement >= settings.threshold
    return pairs[keep]


def cluster_texts(texts: Sequence[str], settings: DedupSettings | None = None) -> np.ndarray:
    """A cluster label per text (0..k-1, in order of first appearance)."""
    settings = settings or DedupSettings()
    if settings.num_perm % settings.bands:
        raise ValueError("num_perm must be a multiple of bands")
    n = len(texts)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    signatures = minhash_signatures(texts, settings)
    pairs = similar_pairs(signatures, settings)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), (n, n))
    _, labels = connected_components(graph, directed=False)
    # Renumber so cluster ids follow the order texts appear in.
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[labels]
