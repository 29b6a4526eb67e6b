"""The monitor screen: a tiny linear model per guard label over hashed byte n-grams.

Distilled from the full guard (``redline train monitor-screen``,
:mod:`redline.guard.screen_distillation`): it predicts which classifier-head
categories the guard would report for a text, on each side, at a few
microseconds a text, for ``redline monitor ingest --scoring screen``. It is a
signal for window rates, not a guard: it never sees the rule-based scanners
(PII, secrets, invisible text, exfiltration, code payloads, prompt leaks) and
its agreement with the guard is measured in ``bench/monitor_screen.py``.

Scoring a batch: :func:`redline.classifiers.byte_ngrams.batch_ngrams` once; each
side's head labels (``jailbreak.jailbreak``, ``injection.direct``, ... ``harm.harm``)
from one table gather and a sum per window; a text's score is its worst window.
Harm categories (``harm.s9`` ...) are scored only for the texts whose ``harm.harm``
fired, from a smaller table indexed by the same buckets' top bits.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from redline.classifiers.byte_ngrams import BatchNgrams, ByteNgramConfig, batch_ngrams
from redline.classifiers.classifier import artifacts_dir
from redline.core.errors import ConfigError

SCREEN_ARTIFACT = "monitor-screen"
SIDES = ("input", "output")
# The label whose firing gates the harm categories (the guard's combined harm head).
HARM_LABEL = "harm.harm"
# Texts featurized at once: a chunk's buffers stay in the CPU caches (a batch of
# 4,096 long prompts at once ran at half the speed).
CHUNK_BYTES = 1 << 17


@dataclass(frozen=True)
class LinearLabels:
    """Logistic heads over one bucket table: ``table`` has a row per bucket plus a
    zero trash row, a column per label; ``cuts`` are the logit cut-offs."""

    labels: tuple[str, ...]
    table: np.ndarray  # (buckets + 1, labels) float32
    bias: np.ndarray  # (labels,) float32
    cuts: np.ndarray  # (labels,) float32 logits
    shift: int  # buckets >> shift indexes the table

    def logits(self, ngrams: BatchNgrams) -> np.ndarray:
        """Per text and label: the logit of its worst window."""
        if self.shift:
            ngrams = _shifted(ngrams, self.shift)
        sums = ngrams.normalised(ngrams.window_sums(self.table))
        return ngrams.text_max(sums + self.bias)


def _shifted(ngrams: BatchNgrams, shift: int) -> BatchNgrams:
    return BatchNgrams(
        ngrams.buckets >> shift,
        ngrams.window_starts,
        ngrams.window_of_text,
        ngrams.text_of_window,
        ngrams.counts,
        ngrams.trash >> shift,
    )


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-6), 1 - 1e-6)
    return float(np.log(clipped / (1 - clipped)))


def _heads(block: dict[str, Any], weights: np.ndarray, shift: int) -> LinearLabels:
    labels = tuple(block["labels"])
    if weights.shape[1] != len(labels):
        raise ConfigError(f"monitor screen: {len(labels)} labels but {weights.shape[1]} columns")
    table = np.zeros((weights.shape[0] + 1, weights.shape[1]), dtype=np.float32)
    table[:-1] = weights
    return LinearLabels(
        labels=labels,
        table=table,
        bias=np.asarray(block["bias"], dtype=np.float32),
        cuts=np.asarray([_logit(t) for t in block["thresholds"]], dtype=np.float32),
        shift=shift,
    )


class MonitorScreen:
    """A loaded screen artifact (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        config_path = directory / "config.json"
        if not config_path.exists():
            raise ConfigError(
                f"{directory}: no monitor screen here (config.json missing); "
                "build one with `redline train monitor-screen`"
            )
        config = json.loads(config_path.read_text(encoding="utf-8"))
        self.directory = directory
        self.features = ByteNgramConfig.from_dict(config["features"])
        self.excluded_scanners: tuple[str, ...] = tuple(config.get("excluded_scanners", ()))
        with np.load(directory / "weights.npz") as weights:
            self.sides = {
                side: _heads(config["sides"][side], weights[side].astype(np.float32), 0)
                for side in SIDES
            }
            category_bits = int(config["categories"]["bits"])
            self.categories = _heads(
                config["categories"],
                weights["categories"].astype(np.float32),
                self.features.bits - category_bits,
            )

    def labels(self, texts: Sequence[str], *, side: str) -> list[tuple[str, ...]]:
        """Per text, the guard categories the screen predicts (``scanner.category``,
        sorted, as the monitor stores them); ``()`` for a text it finds clean."""
        if side not in self.sides:
            raise ConfigError(f"side {side!r}: expected input or output")
        # Clean texts share one empty tuple: no object per text for most of a batch.
        found: list[tuple[str, ...]] = [()] * len(texts)
        for start, stop in _chunks(texts):
            for row, labels in self._label_chunk(texts[start:stop], side).items():
                found[start + row] = tuple(sorted(labels))
        return found

    def _label_chunk(self, texts: Sequence[str], side: str) -> dict[int, list[str]]:
        """The labels of the texts of one chunk that have any, by row."""
        heads = self.sides[side]
        ngrams = batch_ngrams(texts, self.features)
        fired = heads.logits(ngrams) >= heads.cuts
        rows, columns = np.nonzero(fired)
        found: dict[int, list[str]] = {}
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            found.setdefault(row, []).append(heads.labels[column])
        if HARM_LABEL in heads.labels:
            harmful = np.flatnonzero(fired[:, heads.labels.index(HARM_LABEL)]).tolist()
            if harmful:
                categories = self._categories([texts[i] for i in harmful])
                for row, names in zip(harmful, categories, strict=True):
                    found[row].extend(names)
        return found

    def _categories(self, texts: list[str]) -> list[list[str]]:
        """Harm's categories over their cut-offs, for texts the combined harm head
        fired on (none is forced: the guard often reports ``harm.harm`` alone)."""
        logits = self.categories.logits(batch_ngrams(texts, self.features))
        fired = logits >= self.categories.cuts
        labels = self.categories.labels
        return [[labels[c] for c in np.flatnonzero(row).tolist()] for row in fired]


def _chunks(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Index ranges of ``texts`` holding about ``CHUNK_BYTES`` characters each."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(texts) else 0
    cuts = np.searchsorted(ends, np.arange(CHUNK_BYTES, total, CHUNK_BYTES), side="right")
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(texts)}), len(texts)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def screen_dir() -> Path:
    """Where the shipped screen artifact lives."""
    return artifacts_dir() / SCREEN_ARTIFACT


@lru_cache(maxsize=1)
def shipped_monitor_screen() -> MonitorScreen:
    """The screen shipped with redline (loaded once per process)."""
    return MonitorScreen(screen_dir())
