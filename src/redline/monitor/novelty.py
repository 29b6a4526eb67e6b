"""How unlike a reference window each new record is, and whether two windows differ.

Novelty: :class:`KnnNovelty` scores a vector by its mean cosine distance to its ``k``
nearest reference vectors, after moving the origin to the reference window's mean
(``centre``): every text shares a component (for n-grams, the common words and
character runs; for sums of word vectors, the direction long texts converge to), and
cosine distances measured from the traffic's own mean compare what is particular to
each text. On the simulated streams of ``bench/monitor_embedders.py`` centring
raised the burst's kNN AUROC for the n-gram embedders (``ngram``: 0.87 to 0.96) and
the static table, and lowered MiniLM's (0.77 to 0.73): ``centre=False`` suits MiniLM
vectors better. It also forgets how far from the mean a vector lies, which can hide a
group when the traffic varies in every direction (docs/monitoring.md). :class:`ForestNovelty`
(isolation forest) is the alternative measured beside it; kNN ranked the burst
better (docs/benchmarks.md). A record is *novel* when its score is above the
``quantile`` of the reference's own leave-one-out scores.

Novelty shift: :func:`novelty_shift` asks whether a window's scores, as a whole, sit
above the reference's own leave-one-out scores: either more of them exceed the
reference's ``quantile`` than the ``1 - quantile`` chance lets through (one-sided
binomial test, ``exceedance``), or they rank above them (one-sided Mann-Whitney U,
``mann_whitney``). A burst whose records are each only moderately unusual (benign
traffic is diverse, so they rarely clear the 99th percentile) still moves the share
above a lower quantile.

Drift: :func:`mmd_test` is a kernel two-sample test, the maximum mean discrepancy with
a Gaussian kernel (bandwidth: the median distance) approximated by random Fourier
features so that two 10,000-record windows take a few seconds, and a permutation
test for the p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from scipy.stats import binomtest, mannwhitneyu

_QUERY_CHUNK = 1024
_CALIBRATION_SAMPLE = 2000
_PERMUTATION_CHUNK = 50
_BANDWIDTH_SAMPLE = 1000


class Novelty(Protocol):
    """Scores vectors against a reference; higher is more novel."""

    threshold: float

    def score(self, vectors: np.ndarray) -> np.ndarray: ...


def _knn_distances(
    queries: np.ndarray, reference: np.ndarray, k: int, skip_self: bool
) -> np.ndarray:
    take = k + 1 if skip_self else k
    out = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), _QUERY_CHUNK):
        distances = 1.0 - queries[start : start + _QUERY_CHUNK] @ reference.T
        nearest = np.partition(distances, take - 1, axis=1)[:, :take]
        if skip_self:
            nearest = np.sort(nearest, axis=1)[:, 1:]
        out[start : start + len(nearest)] = nearest.mean(axis=1)
    return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class KnnNovelty:
    """Mean cosine distance to the ``k`` nearest reference vectors; with ``centre``
    (the default) measured from the reference's mean (see the module docstring)."""

    def __init__(
        self,
        reference: np.ndarray,
        *,
        k: int = 5,
        quantile: float = 0.99,
        seed: int = 0,
        centre: bool = True,
    ) -> None:
        if len(reference) <= k:
            raise ValueError(f"the reference window needs more than k={k} records")
        reference = np.asarray(reference, dtype=np.float32)
        self.origin = reference.mean(axis=0) if centre else np.zeros(reference.shape[1], np.float32)
        self.reference = self.place(reference)
        self.k = k
        rng = np.random.default_rng(seed)
        sample = rng.choice(len(reference), min(len(reference), _CALIBRATION_SAMPLE), replace=False)
        own = _knn_distances(self.reference[sample], self.reference, k, skip_self=True)
        # The scores a reference record gets from the others: what chance looks like.
        self.own_scores = own
        self.threshold = float(np.quantile(own, quantile))

    def place(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as the scores see them: from the origin, unit length."""
        return _unit_rows(np.asarray(vectors, dtype=np.float32) - self.origin)

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's mean cosine distance to its ``k`` nearest reference rows."""
        return _knn_distances(self.place(vectors), self.reference, self.k, False)


class ForestNovelty:
    """Isolation forest fitted on the reference (scores negated: higher is more novel)."""

    def __init__(self, reference: np.ndarray, *, quantile: float = 0.99, seed: int = 0) -> None:
        from sklearn.ensemble import IsolationForest

        self._forest = IsolationForest(n_estimators=200, random_state=seed).fit(reference)
        self.threshold = float(np.quantile(self.score(reference), quantile))

    def score(self, vectors: np.ndarray) -> np.ndarray:
        return -np.asarray(self._forest.score_samples(vectors), dtype=np.float32)


ShiftTest = Literal["exceedance", "mann_whitney"]
SHIFT_TESTS: tuple[ShiftTest, ...] = ("exceedance", "mann_whitney")


@dataclass(frozen=True)
class NoveltyShift:
    """How a window's novelty scores compare with the reference's own.

    ``novel`` window records scored above the reference's ``quantile`` (``expected``
    by chance); ``statistic`` is the share above it (``exceedance``) or the share of
    (window, reference) pairs in which the window's record scores higher
    (``mann_whitney``; 0.5 by chance); ``p_value`` is the one-sided test's.
    """

    test: ShiftTest
    p_value: float
    statistic: float
    novel: int
    expected: float
    window_records: int
    reference_records: int


def novelty_shift(
    reference: np.ndarray,
    window: np.ndarray,
    *,
    test: ShiftTest = "exceedance",
    quantile: float = 0.9,
    k: int = 5,
    centre: bool = True,
    seed: int = 0,
) -> NoveltyShift:
    """Are ``window``'s records more novel against ``reference`` than the reference's
    own records are (see the module docstring)?"""
    if test not in SHIFT_TESTS:
        raise ValueError(f"test {test!r}: expected one of {', '.join(SHIFT_TESTS)}")
    if len(window) == 0:
        raise ValueError("the window has no records")
    novelty = KnnNovelty(reference, k=k, quantile=quantile, seed=seed, centre=centre)
    scores = novelty.score(window)
    novel = int((scores > novelty.threshold).sum())
    if test == "exceedance":
        statistic = novel / len(scores)
        p_value = float(binomtest(novel, len(scores), 1.0 - quantile, alternative="greater").pvalue)
    else:
        ranked = mannwhitneyu(scores, novelty.own_scores, alternative="greater")
        statistic = float(ranked.statistic) / (len(scores) * len(novelty.own_scores))
        p_value = float(ranked.pvalue)
    return NoveltyShift(
        test=test,
        p_value=p_value,
        statistic=statistic,
        novel=novel,
        expected=(1.0 - quantile) * len(scores),
        window_records=len(scores),
        reference_records=len(reference),
    )


@dataclass(frozen=True)
class DriftResult:
    """The MMD statistic between two windows and its permutation p-value."""

    statistic: float
    p_value: float
    permutations: int
    sizes: tuple[int, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "statistic": self.statistic,
            "p_value": self.p_value,
            "permutations": self.permutations,
            "sizes": list(self.sizes),
        }


def _median_bandwidth(vectors: np.ndarray, rng: np.random.Generator) -> float:
    sample = vectors[rng.choice(len(vectors), min(len(vectors), _BANDWIDTH_SAMPLE), replace=False)]
    squared = np.maximum(
        (sample**2).sum(1)[:, None] + (sample**2).sum(1)[None, :] - 2 * sample @ sample.T, 0
    )
    upper = squared[np.triu_indices(len(sample), k=1)]
    median = float(np.sqrt(np.median(upper))) if upper.size else 1.0
    return median if median > 0 else 1.0


def mmd_test(
    first: np.ndarray,
    second: np.ndarray,
    *,
    permutations: int = 200,
    features: int = 128,
    seed: int = 0,
) -> DriftResult:
    """Do ``first`` and ``second`` (rows are vectors) come from one distribution?"""
    if len(first) < 2 or len(second) < 2:
        raise ValueError("each window needs at least 2 records for a drift test")
    rng = np.random.default_rng(seed)
    both = np.concatenate([first, second]).astype(np.float32)
    bandwidth = _median_bandwidth(both, rng)
    weights = rng.normal(scale=1.0 / bandwidth, size=(both.shape[1], features)).astype(np.float32)
    phases = rng.uniform(0, 2 * np.pi, size=features).astype(np.float32)
    mapped = np.cos(both @ weights + phases) * np.float32(np.sqrt(2.0 / features))
    n_first, total = len(first), len(both)
    column_sum = mapped.sum(axis=0)

    def statistics(first_sums: np.ndarray) -> np.ndarray:
        difference = first_sums / n_first - (column_sum - first_sums) / (total - n_first)
        return np.asarray((difference**2).sum(axis=-1))

    observed = float(statistics(mapped[:n_first].sum(axis=0)))
    exceed = 0
    for start in range(0, permutations, _PERMUTATION_CHUNK):
        count = min(_PERMUTATION_CHUNK, permutations - start)
        chosen = np.zeros((count, total), dtype=np.float32)
        for row in range(count):
            chosen[row, rng.permutation(total)[:n_first]] = 1.0
        exceed += int((statistics(chosen @ mapped) >= observed).sum())
    return DriftResult(
        statistic=observed,
        p_value=(exceed + 1) / (permutations + 1),
        permutations=permutations,
        sizes=(len(first), len(second)),
    )
