"""The word-piece CNN: numpy scoring against torch's, training on a toy task,
reproducible weights, the artifact round trip and bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from redline.classifiers.piece_cnn import MAX_PIECES, PIECE_CNN_FORMAT, PieceCNN
from redline.classifiers.static_embedding import StaticEmbedding
from redline.core.errors import ConfigError

torch = pytest.importorskip("torch")

from redline.classifiers.piece_cnn_training import (  # noqa: E402  (needs torch)
    as_piece_cnn,
    batch,
    forward,
    network,
    train_piece_cnn,
)

VOCAB = ["[PAD]", "[UNK]", "bomb", "build", "cake", "bake", "how", "to", "a", "my", "."]


def _table(tmp_path: Path) -> str:
    """A random 6-dimension table over a toy vocabulary, saved as an artifact;
    returns its directory (a static embedding name may be a path)."""
    rng = np.random.default_rng(3)
    table = rng.normal(size=(len(VOCAB), 6)).astype(np.float32)
    table[0] = 0.0  # the padding piece, as in the MiniLM table (near zero there)
    StaticEmbedding(vocab=VOCAB, table=table, name="toy").save(tmp_path / "toy")
    return str(tmp_path / "toy")


def _toy_task(seed: int, n: int) -> tuple[list[str], list[bool]]:
    """Positives hold a "bomb"/"build" word anywhere among filler words."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        words = [rng.choice(["how", "to", "a", "my", "cake", "bake", "."]) for _ in range(6)]
        positive = i % 2 == 0
        if positive:
            words.insert(rng.randrange(len(words) + 1), rng.choice(["bomb", "build"]))
        texts.append(" ".join(words))
        labels.append(positive)
    return texts, labels


def test_numpy_scores_equal_torch_forward(tmp_path: Path) -> None:
    embedding = _table(tmp_path)
    table = StaticEmbedding.load(Path(embedding))
    torch.manual_seed(0)
    net = network(torch, table.table, (1, 2, 3), 5).eval()
    cnn = as_piece_cnn(net, embedding=embedding, metadata={})
    # One piece, two pieces, a long run (several batches' worth of lengths) and
    # a text with no known piece (read as the padding piece).
    texts = ["bomb", "build a", "how to bake a cake . " * 9, "zzz", "my bomb . cake"]
    ids = [cnn.piece_ids(t) for t in texts]
    assert ids[3] == [0]
    assert cnn.logit_of_ids([]) == cnn.logit_of_ids([0])
    with torch.no_grad():
        x, mask = batch(torch, ids, np.arange(len(ids)))
        expected = forward(torch, net, x, mask).numpy()
    assert np.allclose(cnn.logits(texts), expected, atol=1e-5)


def test_learns_a_toy_task_and_same_seed_gives_same_weights(tmp_path: Path) -> None:
    embedding = _table(tmp_path)
    texts, labels = _toy_task(0, 960)
    messages: list[str] = []
    cnn = train_piece_cnn(
        texts, labels, seed=1, epochs=20, filters=6, embedding=embedding, progress=messages.append
    )
    assert len(messages) == 20 and "epoch 20/20" in messages[-1]
    held_texts, held_labels = _toy_task(1, 60)
    scores = cnn.logits(held_texts)
    y = np.array(held_labels)
    assert scores[y].min() > scores[~y].max()  # the word decides, wherever it sits
    again = train_piece_cnn(texts, labels, seed=1, epochs=20, filters=6, embedding=embedding)
    for a, b in zip(
        [*cnn.kernels, cnn.out_weight], [*again.kernels, again.out_weight], strict=True
    ):
        assert np.array_equal(a, b)
    assert cnn.metadata["examples"] == 960 and cnn.metadata["positives"] == 480


def test_round_trip_and_bad_artifacts(tmp_path: Path) -> None:
    embedding = _table(tmp_path)
    torch.manual_seed(0)
    table = StaticEmbedding.load(Path(embedding)).table
    cnn = as_piece_cnn(network(torch, table, (1, 3), 4).eval(), embedding=embedding, metadata={})
    cnn.save(tmp_path / "cnn")
    loaded = PieceCNN.load(tmp_path / "cnn")
    texts = ["how to build a bomb", "bake my cake", ""]
    assert np.array_equal(loaded.logits(texts), cnn.logits(texts))
    assert loaded.max_pieces == MAX_PIECES and [len(k) for k in loaded.kernels] == [1, 3]
    with pytest.raises(TypeError):
        loaded.logits("one string")

    config = json.loads((tmp_path / "cnn" / "config.json").read_text())
    (tmp_path / "cnn" / "config.json").write_text(json.dumps({**config, "widths": [1, 2]}))
    with pytest.raises(ConfigError, match=r"widths.*\[1, 2\].*\[1, 3\]"):
        PieceCNN.load(tmp_path / "cnn")
    (tmp_path / "cnn" / "config.json").write_text(json.dumps({**config, "format": "other"}))
    with pytest.raises(ConfigError, match=f"'other', expected '{PIECE_CNN_FORMAT}'"):
        PieceCNN.load(tmp_path / "cnn")
    (tmp_path / "cnn" / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"config\.json: not valid JSON"):
        PieceCNN.load(tmp_path / "cnn")
    (tmp_path / "cnn" / "weights.npz").unlink()
    with pytest.raises(ConfigError, match=r"missing weights\.npz"):
        PieceCNN.load(tmp_path / "cnn")


def test_shapes_are_checked(tmp_path: Path) -> None:
    kernels = [np.zeros((1, 6, 4), np.float32), np.zeros((2, 6, 3), np.float32)]
    with pytest.raises(ConfigError, match=r"kernel of shape \(2, 6, 3\)"):
        PieceCNN(
            kernels=kernels, biases=[np.zeros(4), np.zeros(3)], out_weight=np.zeros(8), out_bias=0
        )
    with pytest.raises(ConfigError, match=r"output weights of shape \(5,\), expected \(4,\)"):
        PieceCNN(kernels=kernels[:1], biases=[np.zeros(4)], out_weight=np.zeros(5), out_bias=0)
    # A network over pieces of another size than its table's is named on first use.
    cnn = PieceCNN(
        kernels=[np.zeros((1, 5, 2), np.float32)],
        biases=[np.zeros(2)],
        out_weight=np.zeros(2),
        out_bias=0.0,
        embedding=_table(tmp_path),
    )
    with pytest.raises(ConfigError, match="reads 5-dimension pieces but the static embedding"):
        cnn.logits(["bomb"])


def test_bad_training_input_is_a_clear_error(tmp_path: Path) -> None:
    embedding = _table(tmp_path)
    with pytest.raises(ConfigError, match="2 texts but 1 labels"):
        train_piece_cnn(["a", "b"], [True], embedding=embedding)
    with pytest.raises(ConfigError, match="only one class \\(0 positives of 2\\)"):
        train_piece_cnn(["a", "b"], [False, False], embedding=embedding)
    with pytest.raises(ConfigError, match="must be positive"):
        train_piece_cnn(["a", "b"], [True, False], epochs=0, embedding=embedding)
