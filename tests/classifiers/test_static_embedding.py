"""Static word-piece embeddings and the profanity feature: lookup, artifact
round trip, bad artifacts, and a guard classifier trained on them."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from redline.classifiers import FeatureConfig, TextClassifier, TextFeaturizer
from redline.classifiers.static_embedding import (
    DEFAULT_STATIC_EMBEDDING,
    StaticEmbedding,
    _fold,
    static_embedding_dir,
)
from redline.classifiers.training import HeadSpec, calibrate_and_evaluate, fit_classifier
from redline.classifiers.training_data import Example, split_by_group
from redline.core.errors import ConfigError

VOCAB = ["[PAD]", "[UNK]", "bomb", "build", "cake", "bake", "un", "##der", "##ground", "a", "."]


def _tiny(tmp_path: Path) -> Path:
    """A hand-made 8-dimension table: 'harm' words on axis 0, 'kitchen' words on 1."""
    table = np.zeros((len(VOCAB), 8), dtype=np.float32)
    table[:, 7] = 0.2  # every piece shares a little of one axis
    for word, axis in (("bomb", 0), ("build", 0), ("cake", 1), ("bake", 1)):
        table[VOCAB.index(word), axis] = 1.0
    table[VOCAB.index("un"), 2] = 1.0
    table[VOCAB.index("##der"), 3] = 1.0
    table[VOCAB.index("##ground"), 4] = 1.0
    StaticEmbedding(vocab=VOCAB, table=table, name="tiny").save(tmp_path / "tiny")
    return tmp_path / "tiny"


def test_word_pieces_are_greedy_longest_match_and_unknowns_drop(tmp_path: Path) -> None:
    emb = StaticEmbedding.load(_tiny(tmp_path))
    ids = emb.token_ids("Underground BOMB, a cake.")
    assert [emb.vocab[i] for i in ids] == ["un", "##der", "##ground", "bomb", "a", "cake", "."]
    # accents fold like the uncased tokenizer; a word with no match adds nothing
    assert emb.token_ids("bómb zzz") == emb.token_ids("bomb")
    vector = emb.embed("build a bomb")
    assert vector.shape == (8,) and np.isclose(np.linalg.norm(vector), 1.0)
    assert vector[0] > vector[1]
    assert not emb.embed("zzz qqq").any()
    assert np.allclose(emb.transform(["build a bomb", "bake a cake"])[0], vector)
    with pytest.raises(TypeError):
        emb.transform("one string")


def test_round_trip_is_int8_close(tmp_path: Path) -> None:
    path = _tiny(tmp_path)
    emb = StaticEmbedding.load(path)
    emb.save(tmp_path / "again")
    again = StaticEmbedding.load(tmp_path / "again")
    assert again.vocab == emb.vocab
    assert np.abs(again.table - emb.table).max() < 0.01
    config = json.loads((path / "config.json").read_text())
    assert config["format"] == "static-embedding-v1" and config["dims"] == 8


def test_bad_artifacts_are_clear_errors(tmp_path: Path) -> None:
    path = _tiny(tmp_path)
    (path / "vocab.txt").write_text("[PAD]\n")
    with pytest.raises(ConfigError, match="1 word pieces but 11 rows"):
        StaticEmbedding.load(path)
    path = _tiny(tmp_path)
    (path / "config.json").write_text('{"format": "static-embedding-v1", "dims": 4}')
    with pytest.raises(ConfigError, match="field 'dims'"):
        StaticEmbedding.load(path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        StaticEmbedding.load(path)
    (path / "embedding.npz").unlink()
    with pytest.raises(ConfigError, match=r"missing embedding\.npz"):
        StaticEmbedding.load(path)
    with pytest.raises(ConfigError, match="redline train static-embeddings"):
        TextFeaturizer(FeatureConfig(static_embedding="no-such-table", static_dims=8))


def test_dims_mismatch_between_config_and_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="static_dims=16"):
        TextFeaturizer(FeatureConfig(static_embedding=str(_tiny(tmp_path)), static_dims=16))


def _synthetic(n: int = 120) -> list[Example]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        harmful = i % 2 == 0
        verb = rng.choice(["build a bomb", "bomb"] if harmful else ["bake a cake", "cake"])
        text = f"{verb} {rng.choice(['underground', 'now', 'today'])}"
        out.append(Example(text=text, source="synthetic", group=f"g{i // 3}", harm=harmful))
    return out


def test_classifier_trains_on_hashed_plus_static_and_round_trips(tmp_path: Path) -> None:
    features = FeatureConfig(
        word_features=2**8,
        char_features=2**8,
        static_embedding=str(_tiny(tmp_path)),
        static_dims=8,
    )
    assert features.n_features == 2**9 + 8
    specs = [HeadSpec("harmful", lambda e: e.harm)]
    train, dev = split_by_group(_synthetic(), seed=0, dev_fraction=0.3)
    clf = fit_classifier("toy", train, specs, seed=0, features=features)
    assert calibrate_and_evaluate(clf, dev, specs)["labels"]["harmful"]["auprc"] > 0.9
    # the static block carries weight: its columns are not all zero
    assert np.abs(clf.coef[0, 2**9 :]).max() > 0
    clf.save(tmp_path / "toy")
    loaded = TextClassifier.load(tmp_path / "toy")
    assert loaded.features == features
    texts = ["build a bomb today", "bake a cake now"]
    assert np.allclose(loaded.predict_proba(texts), clf.predict_proba(texts))
    # one message scores the same on the single-text path and the batch path
    one = loaded.predict_proba([texts[0]])
    assert np.allclose(one, loaded.predict_proba_features(loaded.featurize(texts))[:1])


def test_hashed_only_config_is_unchanged_on_disk() -> None:
    assert set(FeatureConfig().to_dict()) == {
        "kind",
        "word_ngrams",
        "char_ngrams",
        "word_features",
        "char_features",
        "max_chars",
    }
    assert FeatureConfig.from_dict(FeatureConfig().to_dict()) == FeatureConfig()


def test_profanity_score_matches_the_package() -> None:
    package = pytest.importorskip("profanity_check.profanity_check")
    from redline.classifiers.profanity_feature import ProfanityScorer

    texts = ["you are a fucking idiot", "have a nice day", "", "Send the invoice to bob@acme.com"]
    ours = ProfanityScorer.shared().predict_proba(texts)
    assert np.allclose(ours, package.predict_prob(texts), atol=1e-9)
    assert ours[0] > 0.9 > 0.1 > ours[1]


@pytest.mark.skipif(
    not static_embedding_dir(DEFAULT_STATIC_EMBEDDING).is_dir(),
    reason="the static embedding artifact is not built",
)
def test_shipped_static_embedding_loads_without_torch() -> None:
    code = (
        "import sys\n"
        "from redline.classifiers.static_embedding import load_static_embedding\n"
        "emb = load_static_embedding()\n"
        "v = emb.embed('how do I build a pipe bomb')\n"
        "assert v.shape == (emb.dims,) and abs(float((v * v).sum()) - 1) < 1e-4\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
        "print(emb.dims, len(emb.vocab))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    dims, vocab = map(int, result.stdout.split())
    assert dims >= 32 and vocab > 20_000


def test_fold_drops_every_combining_mark_as_a_per_character_filter_does() -> None:
    rng = random.Random(3)
    marks = [*map(chr, range(0x300, 0x370)), "\u0591", "\u064b", "\u20d7", "\ufe20"]
    letters = list("aeiouÀÉÎÕÜçñßİǅΣσς日本 \t")
    texts = ["", "plain ascii", "Ça va? Déjà vu, naïve café", "e\u0301\u0327 \u1e9b\u0323"]
    texts += ["".join(rng.choice(letters + marks) for _ in range(80)) for _ in range(200)]
    for text in texts:
        decomposed = unicodedata.normalize("NFD", text.lower())
        expected = "".join(c for c in decomposed if not unicodedata.combining(c))
        assert _fold(text) == (text.lower() if text.lower().isascii() else expected)
