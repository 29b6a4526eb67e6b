"""TextFeaturizer gives exactly the features of a plain reference implementation.

The shipped heads were trained on these features, so a faster featurizer must
give the same column indices and the same float32 bits, for one text and for
every row of a batch. The reference below is the straightforward version: a
Python CRC-32 per word, uint64 rolling hashes per text, ``np.unique`` counts.
"""

from __future__ import annotations

import random
import re
import zlib

import numpy as np
import pytest

from redline.classifiers import FeatureConfig, TextFeaturizer
from redline.core.errors import ConfigError

_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_MASK = np.uint64(0xFFFFFFFF)


def _reference_fmix(h: np.ndarray) -> np.ndarray:
    h = h & _MASK
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _MASK
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _MASK
    h ^= h >> np.uint64(16)
    return h


def _reference_hashes(units: np.ndarray, lo: int, hi: int) -> np.ndarray:
    out = []
    rolling = units
    for n in range(1, min(hi, len(units)) + 1):
        if n > 1:
            rolling = (rolling[:-1] * np.uint64(0x01000193) + units[n - 1 :]) & _MASK
        if n >= lo:
            out.append(rolling + np.uint64(n * 0x9E3779B1))
    return _reference_fmix(np.concatenate(out)) if out else np.zeros(0, dtype=np.uint64)


def _reference_block(buckets: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    if not len(buckets):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx, counts = np.unique(buckets, return_counts=True)
    values = counts.astype(np.float32)
    values /= np.sqrt(np.dot(values, values))
    return idx.astype(np.int64) + offset, values


def reference_hashed(config: FeatureConfig, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The hashed blocks of one text, computed the plain way."""
    if len(text) > config.max_chars:
        half = config.max_chars // 2
        text = f"{text[:half]}\n{text[-half:]}"
    lowered = _SPACE.sub(" ", text.lower()).strip()
    words = np.array([zlib.crc32(t.encode()) for t in _TOKEN.findall(lowered)], dtype=np.uint64)
    chars = np.array([ord(c) for c in lowered], dtype=np.uint64)
    word_buckets = _reference_hashes(words, *config.word_ngrams) % np.uint64(config.word_features)
    char_buckets = _reference_hashes(chars, *config.char_ngrams) % np.uint64(config.char_features)
    w_idx, w_val = _reference_block(word_buckets, 0)
    c_idx, c_val = _reference_block(char_buckets, config.word_features)
    return np.concatenate([w_idx, c_idx]), np.concatenate([w_val, c_val])


def _random_text(rng: random.Random) -> str:
    alphabets = [
        "abcdefghij KLMNOP 0123456789 _-.,!?'\"\t\n",
        "αβγδεσς ΣΑΣ ΟΔΟΣ İıŞş straße ǅ ﬁ",
        "日本語のテキスト 中文 한국어 \u3000",
        "e\u0301 a\u0308 \u200b\u200d \xa0\x1c\x1d\x85 \u2028 🙂👍🏽 ①²½",
    ]
    pool = "".join(rng.sample(alphabets, rng.randint(1, len(alphabets))))
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 300)))


EDGE_TEXTS = [
    "",
    " ",
    " \t\n\u3000\xa0\x1c ",
    "word",
    "x",
    "ab",
    "a b",
    "Hello   World, hello world!",
    "ΟΔΟΣ ΣΑΣ Σ",  # capital sigma lower-cases by context (final form at word ends)
    "İstanbul ǅemal ﬁne straße",  # lower() lengthens İ; title-case and ligatures
    "tab\tnew\nline\r\nform\x0cfeed\x1cfile\x1dsep\x85next",
    "snake_case and_more __dunder__ 3.14 1e10 ②",
    "emoji 🙂 test 👍🏽 ok",
    "start " + "x" * 10_000 + " finish",  # longer than max_chars: head and tail
    "a" * 6000,  # one n-gram ~6,000 times: squared counts past float32's exact range
    "a " * 3000,
    "the quick brown fox " * 400,
]
CONFIGS = [
    FeatureConfig(),
    FeatureConfig(word_features=2**15, char_features=2**15, max_chars=2000),
    # Bucket counts that are not powers of two, other n-gram ranges, a short clip.
    FeatureConfig(
        word_ngrams=(1, 3), char_ngrams=(1, 4), word_features=1000, char_features=3001, max_chars=99
    ),
    FeatureConfig(word_ngrams=(2, 2), char_ngrams=(5, 5), word_features=7, char_features=5),
]


def _texts() -> list[str]:
    rng = random.Random(11)
    return EDGE_TEXTS + [_random_text(rng) for _ in range(120)]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "refusal", "odd-sizes", "tiny"])
def test_features_and_transform_equal_the_reference(config: FeatureConfig) -> None:
    featurizer = TextFeaturizer(config)
    texts = _texts()
    expected = [reference_hashed(config, text) for text in texts]
    for text, (ref_idx, ref_values) in zip(texts, expected, strict=True):
        idx, values = featurizer.features(text)
        assert _same_bits(idx, ref_idx), text
        assert _same_bits(values, ref_values), text
    # One batch, and batches that cut the list elsewhere (rows next to each other
    # must not share n-grams).
    for batch in (texts, texts[1:2], texts[3:9], texts[:0], texts[-40:]):
        matrix = featurizer.transform(batch)
        assert matrix.shape == (len(batch), config.n_features)
        for row, text in enumerate(batch):
            ref_idx, ref_values = expected[texts.index(text)]
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            assert np.array_equal(matrix.indices[start:end], ref_idx), text
            assert _same_bits(matrix.data[start:end], ref_values), text


def test_transform_rows_equal_features_with_the_static_embedding() -> None:
    config = FeatureConfig(static_embedding="static-minilm", static_dims=128, static_weight=0.5)
    featurizer = TextFeaturizer(config)
    texts = _texts()[:40]
    matrix = featurizer.transform(texts)
    for row, text in enumerate(texts):
        idx, values = featurizer.features(text)
        ref_idx, ref_values = reference_hashed(config, text)
        assert np.array_equal(idx[: len(ref_idx)], ref_idx)
        assert _same_bits(values[: len(ref_values)], ref_values)
        assert np.array_equal(idx[len(ref_idx) :], np.arange(config.n_hashed, config.n_features))
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        assert np.array_equal(matrix.indices[start:end], idx), text
        assert _same_bits(matrix.data[start:end], values), text


def test_unencodable_text_is_refused_alone_and_in_a_batch() -> None:
    featurizer = TextFeaturizer(FeatureConfig())
    lone_surrogate = "bad \udc80 text"
    with pytest.raises(UnicodeEncodeError):
        featurizer.features(lone_surrogate)
    with pytest.raises(UnicodeEncodeError):
        featurizer.transform(["fine", lone_surrogate])


@pytest.mark.parametrize(("words", "chars"), [(0, 2**10), (2**10, 0), (2**25, 2**25 + 1)])
def test_bucket_counts_out_of_range_are_a_config_error(words: int, chars: int) -> None:
    with pytest.raises(ConfigError, match=f"word_features={words}, char_features={chars}"):
        TextFeaturizer(FeatureConfig(word_features=words, char_features=chars))
