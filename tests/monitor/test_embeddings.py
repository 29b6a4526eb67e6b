"""The static embedder: distilling its table from the packaged MiniLM, and embedding."""

from __future__ import annotations

import numpy as np

from redline.classifiers.embedding import default_model_path
from redline.monitor.embeddings import StaticEmbedder, distil_static_table, minilm_tokenizer_file


def test_distilled_rows_come_from_minilm_and_are_reduced():
    # The first 400 pieces of the vocabulary: enough to check the path, quick to run.
    table = distil_static_table(default_model_path(), dimension=8, pieces=400)
    assert table.shape == (400, 8) and table.dtype == np.float32
    assert np.isfinite(table).all()
    variances = table.var(axis=0)
    assert (np.diff(variances) <= 1e-6).all()  # PCA order: most variance first


def test_embedding_is_the_normalised_mean_of_piece_rows(small_embedder):
    vectors = small_embedder.embed(["hello world", "", "hello world"])
    assert vectors.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors[0]), 1.0, rtol=1e-5)
    assert not vectors[1].any()  # no pieces: a zero row, never NaN
    np.testing.assert_array_equal(vectors[0], vectors[2])
    table = small_embedder.table
    ids = small_embedder._tokenizer.encode("hello world", add_special_tokens=False).ids
    expected = table[ids].mean(axis=0)
    np.testing.assert_allclose(vectors[0], expected / np.linalg.norm(expected), rtol=1e-5)


def test_shared_words_make_texts_closer():
    rng = np.random.default_rng(3)
    embedder = StaticEmbedder(
        table=rng.normal(size=(30522, 64)).astype(np.float32),
        tokenizer_file=minilm_tokenizer_file(),
    )
    a, b, c = embedder.embed(
        ["reset my router password", "how to reset a router password", "a poem about autumn"]
    )
    assert a @ b > a @ c
