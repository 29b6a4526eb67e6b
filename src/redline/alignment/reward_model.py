"""A Bradley-Terry reward model on frozen MiniLM embeddings, trained on the CPU.

The reward of an answer ``y`` to a prompt ``x`` is a small MLP over
``[e(x), e(y), e(x) * e(y)]``, where ``e`` is the packaged MiniLM sentence
embedding (unit length, frozen). The product term lets the head learn that the
same refusal is good after a harmful prompt and bad after a benign one; a head
on the answer alone could not. Training minimises the Bradley-Terry loss
``-log sigmoid(r(x, chosen) - r(x, rejected))``.

The artifact is a directory: ``reward_head.npz`` (the head's weights, a few
hundred kB), ``reward_card.json`` (what it was trained on, how, and its
held-out figures). Scoring needs numpy and the embedding model; training needs
torch. Training writes ``checkpoint.pt`` every few epochs and a re-run with
the same data and settings resumes from it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from redline import __version__
from redline.alignment.prefs import PreferencePair, Turn, split_pairs
from redline.classifiers.embedding import EMBED_EXTRA_HINT, EMBED_MODEL, EmbeddingFeaturizer
from redline.core import ConfigError, utc_now

CARD_FILE = "reward_card.json"
HEAD_FILE = "reward_head.npz"
CHECKPOINT_FILE = "checkpoint.pt"
EMBEDDING_BACKBONE = "minilm"
# MiniLM keeps the first 256 word pieces: the last turns go first so the
# request being answered is never the part cut off.
PROMPT_TURNS_EMBEDDED = 3

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


class RewardModel(Protocol):
    """Anything that puts a scalar reward on (prompt, answer) pairs."""

    card: dict[str, Any]

    def rewards(self, prompts: Sequence[Sequence[Turn]], answers: Sequence[str]) -> np.ndarray:
        """One reward per (prompt, answer); higher is better."""
        ...


def prompt_text(prompt: Sequence[Turn]) -> str:
    """The text embedded for a prompt: its last turns, newest first."""
    return "\n".join(t.content for t in reversed(prompt[-PROMPT_TURNS_EMBEDDED:]))


def pair_features(
    featurizer: EmbeddingFeaturizer,
    prompts: Sequence[Sequence[Turn]],
    answers: Sequence[str],
    *,
    progress: Progress = _no_progress,
    batch: int = 256,
) -> np.ndarray:
    """``[e(x), e(y), e(x) * e(y)]`` per (prompt, answer), float32."""
    rows = []
    for start in range(0, len(answers), batch):
        stop = min(start + batch, len(answers))
        p = featurizer.transform([prompt_text(x) for x in prompts[start:stop]])
        a = featurizer.transform(list(answers[start:stop]))
        rows.append(np.hstack([p, a, p * a]).astype(np.float32))
        progress("embedding", stop, len(answers))
    return np.vstack(rows) if rows else np.zeros((0, 3 * featurizer.dimension), np.float32)


@dataclass(frozen=True)
class HeadSettings:
    """How the head is trained (all of it goes into the card and the checkpoint key)."""

    hidden: int = 128
    epochs: int = 40
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 64
    seed: int = 0
    checkpoint_every: int = 5

    def key(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "checkpoint_every"}


def _require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigError(
            f"training a reward model needs torch, which is not installed; {EMBED_EXTRA_HINT}"
        ) from None
    return torch


def _head(torch: Any, dimension: int, hidden: int) -> Any:
    return torch.nn.Sequential(
        torch.nn.Linear(dimension, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
    )


def _numpy_forward(weights: dict[str, np.ndarray], features: np.ndarray) -> np.ndarray:
    hidden = np.maximum(features @ weights["w1"].T + weights["b1"], 0.0)
    return (hidden @ weights["w2"].T + weights["b2"]).reshape(-1)


def data_fingerprint(pairs: Sequence[PreferencePair]) -> str:
    """A hash of the training pairs (ids, in order): checkpoints resume on the same data only."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(pair.id.encode())
    return digest.hexdigest()[:16]


def card_data(
    train: Sequence[PreferencePair], test: Sequence[PreferencePair], *, source: str
) -> dict[str, Any]:
    """The ``data`` section of a reward model card (every backbone writes the same)."""
    return {
        "source": source,
        "fingerprint": data_fingerprint(train),
        "train_pairs": len(train),
        "test_pairs": len(test),
    }


class EmbeddingRewardModel:
    """A trained head with the embedding model it reads (see the module docstring)."""

    def __init__(
        self,
        *,
        weights: dict[str, np.ndarray],
        card: dict[str, Any],
        featurizer: EmbeddingFeaturizer | None = None,
    ) -> None:
        self.weights = weights
        self.card = card
        self._featurizer = featurizer

    @property
    def featurizer(self) -> EmbeddingFeaturizer:
        if self._featurizer is None:
            self._featurizer = EmbeddingFeaturizer(threads=None, cache=True)
        return self._featurizer

    def rewards(self, prompts: Sequence[Sequence[Turn]], answers: Sequence[str]) -> np.ndarray:
        features = pair_features(self.featurizer, prompts, answers)
        return _numpy_forward(self.weights, features)

    def save(self, directory: Path) -> None:
        """Write the head and the card into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / HEAD_FILE, **self.weights)
        (directory / CARD_FILE).write_text(json.dumps(self.card, indent=2) + "\n", "utf-8")

    @classmethod
    def load(
        cls, directory: Path, *, featurizer: EmbeddingFeaturizer | None = None
    ) -> EmbeddingRewardModel:
        """The model saved in ``directory``."""
        card = read_card(directory)
        with np.load(directory / HEAD_FILE) as data:
            weights = {name: data[name] for name in data.files}
        return cls(weights=weights, card=card, featurizer=featurizer)


def read_card(directory: Path) -> dict[str, Any]:
    """A reward model's card; a directory without one is a ConfigError."""
    path = directory / CARD_FILE
    if not path.is_file():
        raise ConfigError(f"{directory}: not a reward model (no {CARD_FILE})")
    try:
        card: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    return card


class TrainingInterrupted(Exception):
    """Raised by a callback to stop training (tests use it to simulate a crash)."""


EpochCallback = Callable[[int, float], None]


def _checkpoint_key(settings: HeadSettings, fingerprint: str, dimension: int) -> dict[str, Any]:
    return {"settings": settings.key(), "data": fingerprint, "dimension": dimension}


def _load_checkpoint(torch: Any, path: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    state: dict[str, Any] = torch.load(path, weights_only=False)
    # Another data set or other settings: starting over is the only honest resume.
    return state if state.get("key") == key else None


def fit_head(
    chosen: np.ndarray,
    rejected: np.ndarray,
    *,
    settings: HeadSettings,
    checkpoint: Path | None,
    fingerprint: str,
    on_epoch: EpochCallback | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Train the head on feature rows of chosen and rejected answers (row i is pair i).

    Returns the weights and a log (epochs run, resumed from, final loss). With
    ``checkpoint``, state is saved every ``settings.checkpoint_every`` epochs and
    an earlier checkpoint of the same data and settings is resumed. The order of
    each epoch's batches depends only on the seed and the epoch, so a resumed run
    ends with the weights an uninterrupted one would have.
    """
    torch = _require_torch()
    torch.manual_seed(settings.seed)
    head = _head(torch, chosen.shape[1], settings.hidden)
    optimiser = torch.optim.AdamW(
        head.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    key = _checkpoint_key(settings, fingerprint, chosen.shape[1])
    start, resumed_from = 0, None
    state = _load_checkpoint(torch, checkpoint, key) if checkpoint else None
    if state is not None:
        head.load_state_dict(state["head"])
        optimiser.load_state_dict(state["optimiser"])
        start = resumed_from = state["epoch"]
    x_good, x_bad = torch.from_numpy(chosen), torch.from_numpy(rejected)
    loss_value = float("nan")
    for epoch in range(start, settings.epochs):
        order = torch.randperm(
            len(x_good), generator=torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
        )
        total = 0.0
        for begin in range(0, len(order), settings.batch_size):
            index = order[begin : begin + settings.batch_size]
            margin = head(x_good[index]) - head(x_bad[index])
            loss = -torch.nn.functional.logsigmoid(margin).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(index)
        loss_value = total / max(1, len(order))
        done = epoch + 1
        if checkpoint is not None and (
            done % settings.checkpoint_every == 0 or done == settings.epochs
        ):
            torch.save(
                {
                    "key": key,
                    "epoch": done,
                    "head": head.state_dict(),
                    "optimiser": optimiser.state_dict(),
                },
                checkpoint,
            )
        if on_epoch is not None:
            on_epoch(done, loss_value)
    layers = head.state_dict()
    weights = {
        "w1": layers["0.weight"].detach().numpy().copy(),
        "b1": layers["0.bias"].detach().numpy().copy(),
        "w2": layers["2.weight"].detach().numpy().copy(),
        "b2": layers["2.bias"].detach().numpy().copy(),
    }
    log = {"epochs": settings.epochs, "resumed_from_epoch": resumed_from, "final_loss": loss_value}
    return weights, log


def pairwise_margins(model: RewardModel, pairs: Sequence[PreferencePair]) -> np.ndarray:
    """``r(chosen) - r(rejected)`` per pair."""
    prompts = [p.prompt for p in pairs]
    good = model.rewards(prompts, [p.chosen for p in pairs])
    bad = model.rewards(prompts, [p.rejected for p in pairs])
    return np.asarray(good - bad, dtype=float)


def train_embedding_reward_model(
    pairs: Sequence[PreferencePair],
    output: Path,
    *,
    settings: HeadSettings | None = None,
    source: str = "",
    featurizer: EmbeddingFeaturizer | None = None,
    progress: Progress = _no_progress,
    on_epoch: EpochCallback | None = None,
) -> EmbeddingRewardModel:
    """Train on the ``train`` split of ``pairs`` and save into ``output``.

    Pairs without a split all train; the card then has no held-out figure.
    """
    settings = settings or HeadSettings()
    train, test = split_pairs(pairs)
    if not train:
        raise ConfigError("no training pairs (every pair is in the test split)")
    started = time.perf_counter()
    featurizer = featurizer or EmbeddingFeaturizer(threads=None, cache=True)
    prompts = [p.prompt for p in train]
    good = pair_features(featurizer, prompts, [p.chosen for p in train], progress=progress)
    bad = pair_features(featurizer, prompts, [p.rejected for p in train], progress=progress)
    embedded = time.perf_counter()
    output.mkdir(parents=True, exist_ok=True)

    def epoch_progress(done: int, loss: float) -> None:
        progress("training", done, settings.epochs)
        if on_epoch is not None:
            on_epoch(done, loss)

    weights, log = fit_head(
        good,
        bad,
        settings=settings,
        checkpoint=output / CHECKPOINT_FILE,
        fingerprint=data_fingerprint(train),
        on_epoch=epoch_progress,
    )
    finished = time.perf_counter()
    train_margin = _numpy_forward(weights, good) - _numpy_forward(weights, bad)
    card = {
        "kind": "redline-reward-model",
        "backbone": EMBEDDING_BACKBONE,
        "embedding_model": EMBED_MODEL,
        "features": "[e(prompt), e(answer), e(prompt) * e(answer)], MiniLM, unit length",
        "head": {"layers": [3 * featurizer.dimension, settings.hidden, 1], "activation": "relu"},
        "settings": settings.key(),
        "data": card_data(train, test, source=source),
        "training": {
            **log,
            "train_pairwise_accuracy": float(np.mean(train_margin > 0)),
            "embedding_seconds": round(embedded - started, 2),
            "head_seconds": round(finished - embedded, 2),
        },
        "created_at": utc_now(),
        "redline_version": __version__,
        "intended_use": "ranking answers to red-team and benign prompts for safety "
        "evaluation and preference-data filtering; not a general helpfulness judge",
    }
    model = EmbeddingRewardModel(weights=weights, card=card, featurizer=featurizer)
    model.save(output)
    return model


def load_reward_model(directory: Path) -> RewardModel:
    """The reward model saved in ``directory``, whichever backbone it has."""
    card = read_card(directory)
    if card.get("backbone") == EMBEDDING_BACKBONE:
        return EmbeddingRewardModel.load(directory)
    if card.get("backbone") == "smollm2":
        # Imported only for this backbone: transformers costs seconds to import.
        from redline.alignment.reward_trl import TransformerRewardModel

        return TransformerRewardModel.load(directory)
    raise ConfigError(f"{directory / CARD_FILE}: unknown backbone {card.get('backbone')!r}")


def update_card(directory: Path, section: str, values: dict[str, Any]) -> None:
    """Add or replace one section of a saved model's card (eval writes its figures here)."""
    card = read_card(directory)
    card[section] = values
    (directory / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", "utf-8")
