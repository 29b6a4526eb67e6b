"""Training the word-piece CNN (``piece_cnn``) with torch, on the CPU.

Needs torch (the ``train`` or ``embed`` extra, with the CPU build installed
first: ``pip install torch==2.13.0``); the trained network is handed back as a
numpy ``PieceCNN``, so nothing that scores it imports torch.

The word-piece table stays frozen: only the convolutions and the output are
learnt, so the network needs no table of its own (the guard loads this one
already). Batches hold texts of similar length, in a seeded random order; one
thread and a fixed seed give the same weights on every run (torch's global seed
is set, as ``torch.manual_seed`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from redline.classifiers.piece_cnn import PieceCNN, piece_ids
from redline.classifiers.static_embedding import DEFAULT_STATIC_EMBEDDING, load_static_embedding
from redline.core.errors import ConfigError

TORCH_HINT = "training the piece CNN needs torch: pip install torch==2.13.0 (the CPU build)"
WIDTHS = (1, 2, 3)
FILTERS = 64
EPOCHS = 2
BATCH = 64
LEARNING_RATE = 2e-3
DROPOUT = 0.25


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigError(TORCH_HINT) from None
    return torch


def train_piece_cnn(
    texts: Sequence[str],
    labels: Sequence[bool],
    *,
    seed: int = 0,
    epochs: int = EPOCHS,
    filters: int = FILTERS,
    widths: Sequence[int] = WIDTHS,
    embedding: str = DEFAULT_STATIC_EMBEDDING,
    progress: Callable[[str], None] | None = None,
) -> PieceCNN:
    """A ``PieceCNN`` fitted to ``labels`` (True = positive), positives weighted
    by the class ratio as the guard's balanced heads are."""
    if len(texts) != len(labels):
        raise ConfigError(f"piece CNN: {len(texts)} texts but {len(labels)} labels")
    y = np.asarray(labels, dtype=bool)
    if y.all() or not y.any():
        raise ConfigError(
            f"piece CNN: training data has only one class ({int(y.sum())} positives of {len(y)})"
        )
    if epochs < 1 or filters < 1 or not widths:
        raise ConfigError("piece CNN: epochs, filters and widths must be positive")
    torch = _torch()
    table = load_static_embedding(embedding)
    ids = [piece_ids(table, t) for t in texts]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        net = network(torch, table.table, widths, filters)
        _fit(torch, net, ids, y, seed=seed, epochs=epochs, progress=progress)
    finally:
        torch.set_num_threads(threads)
    return as_piece_cnn(
        net,
        embedding=embedding,
        metadata={
            "seed": seed,
            "epochs": epochs,
            "examples": len(texts),
            "positives": int(y.sum()),
            "optimizer": f"Adam lr={LEARNING_RATE}, batch {BATCH}, dropout {DROPOUT}",
        },
    )


def as_piece_cnn(net: Any, *, embedding: str, metadata: dict[str, Any]) -> PieceCNN:
    """The numpy ``PieceCNN`` of a network made by ``network``."""
    convs = [(conv.weight.detach().numpy(), conv.bias.detach().numpy()) for conv in net["convs"]]
    return PieceCNN(
        # torch keeps (filters, dims, width); tap j of ours is weight[:, :, j].T
        kernels=[np.transpose(w, (2, 1, 0)).copy() for w, _b in convs],
        biases=[b.copy() for _w, b in convs],
        out_weight=net["out"].weight.detach().numpy()[0].copy(),
        out_bias=float(net["out"].bias.detach()[0]),
        embedding=embedding,
        metadata=metadata,
    )


def network(torch: Any, table: np.ndarray, widths: Sequence[int], filters: int) -> Any:
    """The torch network's parts (score texts with ``forward``): the frozen
    ``table`` rows, the convolutions and the output."""
    nn = torch.nn
    return nn.ModuleDict(
        {
            "pieces": nn.Embedding.from_pretrained(torch.tensor(table), freeze=True),
            "convs": nn.ModuleList(
                [nn.Conv1d(table.shape[1], filters, k, padding=k // 2) for k in widths]
            ),
            "out": nn.Linear(len(widths) * filters, 1),
        }
    )


def forward(torch: Any, net: Any, x: Any, mask: Any) -> Any:
    """Logits of a batch (``batch``); dropout only while ``net`` is training."""

    def drop(t: Any) -> Any:
        return torch.nn.functional.dropout(t, DROPOUT, training=net.training)

    # Zero vectors past a text's end, as the numpy pass reads them.
    vectors = (drop(net["pieces"](x)) * mask[:, :, None]).transpose(1, 2)
    pooled = []
    for conv in net["convs"]:
        h = torch.relu(conv(vectors))[:, :, : x.shape[1]]
        pooled.append(h.masked_fill(~mask[:, None, :], -1e4).max(dim=2).values)
    return net["out"](drop(torch.cat(pooled, 1))).squeeze(1)


def batch(torch: Any, ids: Sequence[Sequence[int]], rows: np.ndarray) -> tuple[Any, Any]:
    """Piece ids of ``rows`` padded to one length, and the mask of real pieces."""
    longest = max(len(ids[i]) for i in rows)
    x = torch.zeros((len(rows), longest), dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.bool)
    for r, i in enumerate(rows):
        x[r, : len(ids[i])] = torch.tensor(ids[i])
        mask[r, : len(ids[i])] = True
    return x, mask


def _fit(
    torch: Any,
    net: Any,
    ids: Sequence[Sequence[int]],
    y: np.ndarray,
    *,
    seed: int,
    epochs: int,
    progress: Callable[[str], None] | None,
) -> None:
    rng = np.random.default_rng(seed)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(float((~y).sum() / y.sum())))
    targets = torch.tensor(y.astype(np.float32))
    lengths = np.array([len(s) for s in ids], dtype=np.float64)
    for epoch in range(epochs):
        net.train()
        # Texts of similar length share a batch (little padding); the jitter and
        # the shuffled batch order change from epoch to epoch.
        order = np.argsort(lengths + rng.random(len(ids)) * 20, kind="stable")
        batches = [order[s : s + BATCH] for s in range(0, len(order), BATCH)]
        rng.shuffle(batches)
        total = 0.0
        for rows in batches:
            x, mask = batch(torch, ids, rows)
            optimizer.zero_grad()
            loss = loss_fn(forward(torch, net, x, mask), targets[rows])
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        if progress is not None:
            progress(f"piece CNN: epoch {epoch + 1}/{epochs}, loss {total / len(batches):.4f}")
