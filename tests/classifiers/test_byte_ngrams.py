"""The vectorised byte n-gram featurizer equals its plain per-text definition."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from redline.classifiers.byte_ngrams import (
    ByteNgramConfig,
    batch_ngrams,
    reference_ngrams,
    window_matrix,
)

EDGE_CASES = [
    "",
    "a",
    "ab",
    "Hello World",
    "ÄÖÜ straße İstanbul ΑΣ",  # non-ASCII: multi-byte, and upper case kept outside ASCII
    "日本語のテキスト",
    "x" * 37,  # several windows
    "",
    "nul\x00inside",  # a NUL in a text must not split it
    "\U0001f600 emoji",
    "tail",
]


def _per_text(batch, count):
    windows, buckets = batch.pairs()
    found = [Counter() for _ in range(count)]
    for window, bucket in zip(windows.tolist(), buckets.tolist(), strict=True):
        text = int(batch.text_of_window[window])
        found[text][(window - int(batch.window_of_text[text]), bucket)] += 1
    return found


@pytest.mark.parametrize(
    "config",
    [
        ByteNgramConfig(bits=12, sizes=(4,), window_bytes=16),
        ByteNgramConfig(bits=10, sizes=(1, 3, 5, 8), window_bytes=8),
        ByteNgramConfig(bits=18, sizes=(2, 4), window_bytes=2048),
    ],
)
def test_batch_equals_the_per_text_reference(config):
    batch = batch_ngrams(EDGE_CASES, config)
    for text, found in zip(EDGE_CASES, _per_text(batch, len(EDGE_CASES)), strict=True):
        assert found == Counter(reference_ngrams(text, config)), text


def test_no_ngram_crosses_two_texts():
    config = ByteNgramConfig(bits=16, sizes=(3,), window_bytes=64)
    # "ab" + "cd" joined would make "b?c" n-grams if boundaries leaked; each text
    # shorter than n has none at all.
    batch = batch_ngrams(["ab", "cd", "ef"], config)
    assert batch.pairs()[0].size == 0
    assert batch.counts.tolist() == [0, 0, 0]
    alone = Counter(reference_ngrams("abcd", config))
    together = _per_text(batch_ngrams(["abcd", "efgh"], config), 2)
    assert together[0] == alone and sum(together[1].values()) == 2


def test_a_batch_scores_each_text_as_it_would_alone():
    config = ByteNgramConfig(bits=12, sizes=(3, 4), window_bytes=32)
    rng = np.random.default_rng(0)
    table = np.zeros((config.buckets + 1, 2), dtype=np.float32)
    table[:-1] = rng.normal(size=(config.buckets, 2))
    texts = ["some words here " * 5, "", "other text", "ünïcode wörds " * 4]
    batch = batch_ngrams(texts, config)
    together = batch.text_max(batch.normalised(batch.window_sums(table)))
    for index, text in enumerate(texts):
        alone = batch_ngrams([text], config)
        expected = alone.text_max(alone.normalised(alone.window_sums(table)))
        np.testing.assert_allclose(together[index], expected[0], rtol=1e-5, atol=1e-6)


def test_window_counts_and_csr_match_the_pairs():
    config = ByteNgramConfig(bits=10, sizes=(2, 5), window_bytes=8)
    batch = batch_ngrams(EDGE_CASES, config)
    windows, _ = batch.pairs()
    assert np.bincount(windows, minlength=batch.window_count).tolist() == batch.counts.tolist()
    matrix = window_matrix(batch, config)
    assert matrix.shape == (batch.window_count, config.buckets)
    # Each non-empty row is counts / sqrt(n-grams): its squared sum times n is sum(counts^2).
    rows = np.flatnonzero(batch.counts)
    np.testing.assert_allclose(
        np.asarray(matrix[rows].sum(axis=1)).ravel() ** 2,
        batch.counts[rows].astype(np.float64),
        rtol=1e-5,
    )


def test_empty_batch_and_bad_configs():
    assert batch_ngrams([], ByteNgramConfig()).window_count == 0
    with pytest.raises(ValueError, match="sizes"):
        ByteNgramConfig(sizes=(9,))
    with pytest.raises(ValueError, match="bits"):
        ByteNgramConfig(bits=30)
    with pytest.raises(ValueError, match="window_bytes"):
        ByteNgramConfig(sizes=(4,), window_bytes=2)
