"""Training, calibrating and measuring the guard classifiers.

``train_guard_models`` is what ``redline train guard`` runs: assemble the data,
split it by group, fit one logistic head per label on the train side, pick
thresholds on dev, measure dev metrics and latency, and write each artifact
with its data card.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve

from redline.classifiers.classifier import SHIPPED_MODELS, TextClassifier, dequantize, quantize
from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.classifiers.labelled import CATEGORIES, Example
from redline.classifiers.public_sources import INJECTION_WINDOW
from redline.classifiers.splits import DEV_FRACTION, group_fold, split_by_group
from redline.classifiers.static_embedding import DEFAULT_STATIC_EMBEDDING, load_static_embedding
from redline.classifiers.training_data import RESPONSE_SOURCES, TrainingData
from redline.core.errors import ConfigError

# A category head is trained only with at least this many train positives;
# fewer gives a head whose scores mean little.
MIN_CATEGORY_POSITIVES = 15
COMBINED_LABEL = {"harm": "harmful", "jailbreak": "jailbreak", "injection": "injection"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class HeadSpec:
    """A label and the rule that reads it off an example (None: not used)."""

    label: str
    target: Callable[[Example], bool | None]


def _model_label(example: Example, *, model: str) -> bool | None:
    return example.label(model)


def _has_category(example: Example, *, category: str) -> bool | None:
    return None if example.harm is None else category in example.categories


def head_specs(model: str, train: Sequence[Example]) -> list[HeadSpec]:
    """The heads a model gets: the combined label, and for ``harm`` one head per
    category with enough train positives."""
    if model not in SHIPPED_MODELS:
        raise ConfigError(f"--models: unknown model {model!r}; known: {', '.join(SHIPPED_MODELS)}")
    specs = [HeadSpec(COMBINED_LABEL[model], partial(_model_label, model=model))]
    if model == "harm":
        counts = Counter(c for e in train if e.harm for c in e.categories)
        for cat in CATEGORIES:
            if counts[cat] >= MIN_CATEGORY_POSITIVES:
                specs.append(HeadSpec(cat, partial(_has_category, category=cat)))
    return specs


FEATURE_BLOCKS = ("hashed", "static", "profanity")
# The shipped recipe, chosen by bench/guard_candidates.py (docs/guard-models.md).
DEFAULT_FEATURES = "hashed+static"


def parse_features(spec: str = DEFAULT_FEATURES) -> FeatureConfig:
    """A FeatureConfig from ``hashed[+static][+profanity]`` (``--features``)."""
    blocks = [b.strip() for b in spec.split("+") if b.strip()]
    unknown = [b for b in blocks if b not in FEATURE_BLOCKS]
    if unknown or "hashed" not in blocks:
        raise ConfigError(
            f"--features: {spec!r} is not valid; give hashed, optionally with +static "
            "and/or +profanity (e.g. hashed+static)"
        )
    if "static" not in blocks:
        return FeatureConfig(profanity="profanity" in blocks)
    dims = load_static_embedding(DEFAULT_STATIC_EMBEDDING).dims
    return FeatureConfig(
        static_embedding=DEFAULT_STATIC_EMBEDDING,
        static_dims=dims,
        profanity="profanity" in blocks,
    )


class SharedFeatures:
    """Every example's features, computed once for all three models (they train on
    overlapping examples with one feature configuration)."""

    def __init__(self, examples: Sequence[Example], features: FeatureConfig) -> None:
        self.features = features
        self._row = {id(e): i for i, e in enumerate(examples)}
        self._matrix = TextFeaturizer(features).transform([e.text for e in examples])

    def rows(self, examples: Sequence[Example]) -> Any:
        return self._matrix[[self._row[id(e)] for e in examples]]


# Logistic loss by stochastic gradient descent, a fixed number of epochs: on
# ~40k texts x 131k hashed features it fits a head ~10x faster than liblinear
# (which no longer finished in reasonable time on a shared 2-core machine), it
# is deterministic for a seed, and leave-one-source-out validation
# (bench/guard_loso.py) fits exactly this head.
SGD_ALPHA = 2e-6
SGD_EPOCHS = 20


def make_head(*, seed: int, alpha: float = SGD_ALPHA) -> SGDClassifier:
    """One unfitted balanced logistic-regression head of the shipped recipe."""
    return SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        class_weight="balanced",
        max_iter=SGD_EPOCHS,
        tol=None,
        random_state=seed,
    )


def fit_classifier(
    name: str,
    train: Sequence[Example],
    specs: Sequence[HeadSpec],
    *,
    seed: int,
    features: FeatureConfig | None = None,
    alpha: float = SGD_ALPHA,
    window_chars: int = 0,
    shared: SharedFeatures | None = None,
) -> TextClassifier:
    """Fit one balanced logistic head per spec; thresholds start at 0.5 until
    ``calibrate`` sets them. Weights pass through int8 quantisation so the object
    returned scores exactly like the saved artifact."""
    features = features or (shared.features if shared is not None else FeatureConfig())
    if shared is not None and shared.features != features:
        raise ValueError("fit_classifier: features differ from the shared matrix's")
    featurizer = TextFeaturizer(features)
    matrix = (
        shared.rows(train) if shared is not None else featurizer.transform([e.text for e in train])
    )
    coef = np.zeros((len(specs), features.n_features), dtype=np.float32)
    intercept = np.zeros(len(specs), dtype=np.float32)
    for row, spec in enumerate(specs):
        targets = [spec.target(e) for e in train]
        keep = np.array([t is not None for t in targets])
        y = np.array([bool(t) for t in targets])[keep]
        if y.all() or not y.any():
            raise ConfigError(
                f"model {name!r}, label {spec.label!r}: training data has only one class "
                f"({int(y.sum())} positives of {len(y)}); add data or drop the model"
            )
        head = make_head(seed=seed, alpha=alpha)
        head.fit(matrix[keep], y)
        coef[row] = head.coef_[0]
        intercept[row] = head.intercept_[0]
    quantized, scale = quantize(coef)
    return TextClassifier(
        name=name,
        labels=[s.label for s in specs],
        coef=dequantize(quantized, scale),
        intercept=intercept,
        thresholds={s.label: 0.5 for s in specs},
        features=features,
        window_chars=window_chars,
    )


def _threshold_max_f1(y: np.ndarray, scores: np.ndarray) -> float:
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(thresholds[best]) if len(thresholds) else 0.5


# How far below the best F1 a threshold may be and still count as on the F1
# plateau (``threshold_f1_plateau``).
F1_PLATEAU = 0.01


def threshold_f1_plateau(y: np.ndarray, scores: np.ndarray, tolerance: float = F1_PLATEAU) -> float:
    """The middle of the F1 plateau: the median of the thresholds whose F1 is
    within ``tolerance`` of the best. F1 is flat near its peak, so its arg-max
    jumps far when a few scores move; the plateau's middle moves less."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    if not len(thresholds):
        return 0.5
    f1 = (2 * precision * recall / np.maximum(precision + recall, 1e-12))[:-1]
    return float(np.median(thresholds[f1 >= f1.max() - tolerance]))


def _threshold_at_fpr(y: np.ndarray, scores: np.ndarray, fpr_cap: float) -> float:
    fpr, _tpr, thresholds = roc_curve(y, scores)
    ok = np.nonzero(fpr <= fpr_cap)[0]
    # roc_curve's first threshold is +inf (flag nothing); cap to 1.0.
    return float(min(1.0, thresholds[ok[-1]])) if len(ok) else 1.0


def _binary_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    flagged = scores >= threshold
    tp = int((flagged & y).sum())
    fp = int((flagged & ~y).sum())
    fn = int((~flagged & y).sum())
    negatives = int((~y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": round(threshold, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "fpr": round(fp / negatives, 4) if negatives else None,
    }


def calibrate_and_evaluate(
    clf: TextClassifier, dev: Sequence[Example], specs: Sequence[HeadSpec]
) -> dict[str, Any]:
    """Set ``clf.thresholds`` (max F1 on dev) and ``clf.thresholds_at_1pct_fpr``,
    and return dev metrics per label and per source."""
    scores = clf.predict_proba([e.text for e in dev]) if dev else np.zeros((0, len(specs)))
    per_label: dict[str, Any] = {}
    for col, spec in enumerate(specs):
        targets = [spec.target(e) for e in dev]
        keep = np.array([t is not None for t in targets], dtype=bool)
        y = np.array([bool(t) for t in targets], dtype=bool)[keep] if dev else np.zeros(0, bool)
        s = scores[keep, col] if dev else np.zeros(0)
        positives, negatives = int(y.sum()), int((~y).sum())
        entry: dict[str, Any] = {"dev_positives": positives, "dev_negatives": negatives}
        if positives == 0 or negatives == 0:
            entry["note"] = "dev split lacks one class: threshold left at 0.5, no metrics"
            clf.thresholds[spec.label] = 0.5
            clf.thresholds_at_1pct_fpr[spec.label] = 0.5
            per_label[spec.label] = entry
            continue
        t_f1 = _threshold_max_f1(y, s)
        t_fpr = _threshold_at_fpr(y, s, 0.01)
        clf.thresholds[spec.label] = round(t_f1, 6)
        clf.thresholds_at_1pct_fpr[spec.label] = round(t_fpr, 6)
        entry["auprc"] = round(float(average_precision_score(y, s)), 4)
        entry["at_max_f1"] = _binary_metrics(y, s, t_f1)
        entry["at_1pct_fpr"] = _binary_metrics(y, s, t_fpr)
        entry["recall_at_1pct_fpr"] = entry["at_1pct_fpr"]["recall"]
        per_label[spec.label] = entry
    return {"labels": per_label, "by_source": _by_source(clf, dev, specs[0], scores)}


def _by_source(
    clf: TextClassifier, dev: Sequence[Example], spec: HeadSpec, scores: np.ndarray
) -> dict[str, Any]:
    """Flag rate of the combined head per source and class, at the F1 threshold:
    recall on positives, false-positive rate on negatives."""
    threshold = clf.thresholds[spec.label]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, ex in enumerate(dev):
        target = spec.target(ex)
        if target is None:
            continue
        key = f"{ex.source}:{'positive' if target else 'negative'}"
        tally[key][0] += int(scores[i, 0] >= threshold)
        tally[key][1] += 1
    return {
        key: {"flagged": f, "n": n, "rate": round(f / n, 4)}
        for key, (f, n) in sorted(tally.items())
    }


# The false-positive rate the production cut-offs allow on each side's benign mix.
PRODUCTION_FPR = 0.01
SIDES = ("input", "output")


def is_response(example: Example) -> bool:
    """Whether an example is a model's reply (output side) rather than a prompt."""
    return example.source in RESPONSE_SOURCES or example.group.startswith(
        "written:benign_responses"
    )


def cut_at_fpr(negative_scores: np.ndarray, fpr: float = PRODUCTION_FPR) -> float:
    """The lowest cut-off that flags at most ``fpr`` of ``negative_scores``."""
    if not len(negative_scores):
        return 0.5
    ranked = np.sort(negative_scores)[::-1]
    allowed = int(np.floor(fpr * len(ranked)))
    if allowed >= len(ranked):
        return float(ranked[-1])
    # Just above the first score that must not be flagged.
    return float(min(1.0, np.nextafter(ranked[allowed], np.inf)))


def mix_source(example: Example) -> str:
    """The source an example counts under in the benign mix: disguised texts are
    one source whatever the converter."""
    return example.source.split(":", 1)[0]


# A source with fewer benign dev texts than this joins a pooled "other" source in
# the balanced mix: alone, one text would be several percent of the whole mix.
MIN_MIX_SOURCE = 40


def cut_at_balanced_fpr(
    negative_scores: np.ndarray, sources: Sequence[str], fpr: float = PRODUCTION_FPR
) -> float:
    """The lowest cut-off that flags at most ``fpr`` of a mix in which every
    source weighs the same, however many texts it has in dev.

    With each text weighing the same, the mix is mostly short tweets and exam
    questions that no model flags, and 1% of it allowed a third of long tables
    and a tenth of role prompts through the cut (issue 10)."""
    if not len(negative_scores):
        return 0.5
    counts = Counter(sources)
    names = [s if counts[s] >= MIN_MIX_SOURCE else "other" for s in sources]
    sizes = Counter(names)
    weights = np.array([1.0 / (len(sizes) * sizes[n]) for n in names])
    order = np.argsort(-negative_scores, kind="stable")
    ranked = negative_scores[order]
    # Flagged weight if the cut sits just above ranked[k]: texts 0..k-1, but
    # ties with ranked[k] are not flagged either.
    flagged = np.concatenate(([0.0], np.cumsum(weights[order])))[:-1]
    ok = np.nonzero(flagged <= fpr + 1e-12)[0]
    k = int(ok[-1])
    if k == len(ranked) - 1 and flagged[k] + weights[order][k] <= fpr:
        return float(ranked[-1])
    return float(min(1.0, np.nextafter(ranked[k], np.inf)))


# A side needs at least this many benign dev texts for its own cut-offs; with
# fewer, one text decides the 1% tail (the jailbreak model has one output text).
MIN_SIDE_NEGATIVES = 200


def calibrate_sides(
    clf: TextClassifier,
    examples: Sequence[Example],
    specs: Sequence[HeadSpec],
    *,
    scores: np.ndarray | None = None,
    floors: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Set ``clf.side_thresholds``: per side and label, the cut-off that flags at
    most 1% of that side's benign mix in ``examples`` (prompts, documents, code,
    emails, security/medical/legal questions on the input side; refusals and safe
    completions on the output side).

    ``scores`` are the examples' scores (rows of ``specs``' heads; NaN where a head
    has none); by default ``clf`` scores them, which is right only for held-out
    examples. ``train_model`` passes out-of-fold scores over the whole pool
    (``out_of_fold_scores``). Only benign texts (every label of the model false)
    form the mix, and every source in it weighs the same
    (``cut_at_balanced_fpr``): long tables count as much as tweets. Every head
    takes the higher of that cut-off and its floor, ``floors[label]`` (by
    default ``clf.thresholds``, the max-F1 cut-offs): category heads score almost
    every benign text near zero, so their 1% cut-off alone would flag any harmful
    text for every category. A side with fewer than ``MIN_SIDE_NEGATIVES`` benign
    texts takes the other side's cut-offs."""
    if scores is None:
        scores = (
            clf.predict_proba([e.text for e in examples]) if examples else np.zeros((0, len(specs)))
        )
    floors = clf.thresholds if floors is None else floors
    combined = specs[0]
    report: dict[str, Any] = {}
    clf.side_thresholds = {}  # a second calibration replaces every side's, borrowed ones too
    for side in SIDES:
        mix = [
            i
            for i, e in enumerate(examples)
            if combined.target(e) is False and is_response(e) == (side == "output")
        ]
        if len(mix) < MIN_SIDE_NEGATIVES:
            continue
        cuts: dict[str, float] = {}
        for col, spec in enumerate(specs):
            rows = [i for i in mix if not np.isnan(scores[i, col])]
            cut = max(
                cut_at_balanced_fpr(scores[rows, col], [mix_source(examples[i]) for i in rows]),
                floors.get(spec.label, 0.5),
            )
            cuts[spec.label] = round(cut, 6)
        clf.side_thresholds[side] = cuts
        report[side] = {"benign_mix": len(mix), "thresholds": cuts}
    for side in SIDES:
        other = SIDES[1 - SIDES.index(side)]
        if side not in clf.side_thresholds and other in clf.side_thresholds:
            clf.side_thresholds[side] = dict(clf.side_thresholds[other])
            report[side] = {"note": f"too few {side} texts in dev: {other} cut-offs used"}
    return report


# Cut-offs are set on out-of-fold scores over the whole pool, not on the dev
# split alone: the pool is cut into CROSS_FIT_FOLDS group folds, fold 0 being the
# dev split (scored by the model that ships), each other fold scored by a model of
# the same recipe trained without it. The benign mix and the positives are then
# five times the dev split's, and one added source no longer reshuffles which few
# texts decide a 1% tail (bench/guard_cutoff_stability.py measures the spread).
CROSS_FIT_FOLDS = round(1 / DEV_FRACTION)


def _has_both_classes(spec: HeadSpec, examples: Sequence[Example]) -> bool:
    targets = {spec.target(e) for e in examples} - {None}
    return targets == {True, False}


def out_of_fold_scores(
    name: str,
    examples: Sequence[Example],
    specs: Sequence[HeadSpec],
    *,
    dev_model: TextClassifier,
    seed: int,
    shared: SharedFeatures | None = None,
    features: FeatureConfig | None = None,
    window_chars: int = 0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Every example's scores (one column per spec) from a model that did not
    train on its group: ``dev_model`` (trained on the train split) for fold 0,
    the dev split, and a model fitted without fold k for each other fold. A head
    whose fold lacks a class is NaN there."""
    say = progress or (lambda _msg: None)
    folds = np.array([group_fold(e.group, seed=seed, folds=CROSS_FIT_FOLDS) for e in examples])
    scores = np.full((len(examples), len(specs)), np.nan)
    for fold in range(CROSS_FIT_FOLDS):
        held = np.nonzero(folds == fold)[0]
        if not len(held):
            continue
        if fold == 0:
            model = dev_model
        else:
            train = [e for e, f in zip(examples, folds, strict=True) if f != fold]
            fitted = [s for s in specs if _has_both_classes(s, train)]
            say(f"{name}: cross-fitting fold {fold}/{CROSS_FIT_FOLDS - 1} on {len(train)} examples")
            model = fit_classifier(
                name,
                train,
                fitted,
                seed=seed,
                features=features,
                window_chars=window_chars,
                shared=shared,
            )
        probs = model.predict_proba([examples[int(i)].text for i in held])
        for col, spec in enumerate(specs):
            if spec.label in model.labels:
                scores[held, col] = probs[:, model.labels.index(spec.label)]
    return scores


def _cutoffs(
    examples: Sequence[Example],
    scores: np.ndarray,
    specs: Sequence[HeadSpec],
    rule: Callable[[np.ndarray, np.ndarray], float],
) -> dict[str, float]:
    cuts: dict[str, float] = {}
    for col, spec in enumerate(specs):
        targets = [spec.target(e) for e in examples]
        keep = [i for i, t in enumerate(targets) if t is not None and not np.isnan(scores[i, col])]
        y = np.array([bool(targets[i]) for i in keep], dtype=bool)
        usable = y.any() and not y.all()
        cuts[spec.label] = rule(y, scores[keep, col]) if usable else 0.5
    return cuts


def max_f1_cutoffs(
    examples: Sequence[Example], scores: np.ndarray, specs: Sequence[HeadSpec]
) -> dict[str, float]:
    """Each head's max-F1 cut-off on ``scores`` (0.5 where a class is missing)."""
    return _cutoffs(examples, scores, specs, _threshold_max_f1)


def f1_plateau_cutoffs(
    examples: Sequence[Example], scores: np.ndarray, specs: Sequence[HeadSpec]
) -> dict[str, float]:
    """Each head's ``threshold_f1_plateau`` on ``scores`` (0.5 where a class is
    missing)."""
    return _cutoffs(examples, scores, specs, threshold_f1_plateau)


# The floor of a category head's production cut-off: 0.5, the boundary of a
# class-balanced logistic head. Category heads are saturated (most scores near 0
# or 1) and have tens to hundreds of positives, so their max-F1 cut-off jumped
# between 0.0 and 1.0 from one data sample to the next (s5 0.0, s3 1.0, s8
# 0.00005 in one shipped card), and their 1% cut-off is near 0 (they score almost
# every benign text near zero). The combined head's floor is the middle of its F1
# plateau on out-of-fold scores, set on thousands of positives: its max-F1 cut-off
# moved as far as a data change moved the scores (injection 0.57-0.75 over two
# seeds and one added source, jailbreak 0.24-0.43 over four labellings of one
# added disguise), the plateau's middle about a third to two thirds as far
# (docs/benchmarks.md, "The floor at the middle of the F1 plateau").
CATEGORY_FLOOR = 0.5
PRODUCTION_DERIVATION = (
    "max of the 1% balanced-mix cut and a floor: for the combined head the middle of its "
    f"out-of-fold F1 plateau (the median threshold within {F1_PLATEAU} of the best F1), "
    f"{CATEGORY_FLOOR} for category heads"
)


def production_floors(
    examples: Sequence[Example], scores: np.ndarray, specs: Sequence[HeadSpec]
) -> dict[str, float]:
    """The floor under each head's production cut-off (``CATEGORY_FLOOR``; the
    combined head, ``specs[0]``, the middle of its F1 plateau on ``scores``)."""
    floors = {spec.label: CATEGORY_FLOOR for spec in specs[1:]}
    floors.update(f1_plateau_cutoffs(examples, scores, specs[:1]))
    return floors


ALPACA_BENIGN = Path("benign/harmless_val.json")


def measure_benign_fpr(clf: TextClassifier, data_dir: Path) -> dict[str, Any] | None:
    """False-positive rate of the combined head on the Alpaca benign instructions
    (CC-BY-NC: measured, never trained on), at both thresholds; None when the
    file is absent."""
    path = data_dir / ALPACA_BENIGN
    if not path.is_file():
        return None
    texts = [row["instruction"] for row in json.loads(path.read_text())]
    scores = clf.predict_proba(texts)[:, 0]
    label = clf.labels[0]
    return {
        "source": str(ALPACA_BENIGN),
        "n": len(texts),
        "fpr_at_max_f1": round(float((scores >= clf.thresholds[label]).mean()), 4),
        "fpr_at_1pct_fpr_threshold": round(
            float((scores >= clf.thresholds_at_1pct_fpr[label]).mean()), 4
        ),
        "fpr_at_production_input_threshold": round(
            float((scores >= clf.side_thresholds.get("input", {}).get(label, 1.0)).mean()), 4
        ),
    }


def measure_latency(
    clf: TextClassifier, texts: Sequence[str], *, repeats: int = 300, batch: int = 256
) -> dict[str, Any]:
    """Per-message latency (p50, p99 in ms, one message per call) on ~1,000
    character texts, and batch throughput in messages per second."""
    messages = thousand_char_messages(texts)
    for text in messages[:20]:
        clf.predict_proba([text])
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        clf.predict_proba([messages[i % len(messages)]])
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    block = [messages[i % len(messages)] for i in range(batch)]
    start = time.perf_counter()
    clf.predict_proba(block)
    elapsed = time.perf_counter() - start
    return {
        "message_chars": round(statistics.mean(len(m) for m in messages)),
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
        "batch_size": batch,
        "batch_messages_per_s": round(batch / elapsed),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }


def thousand_char_messages(texts: Sequence[str], count: int = 100) -> list[str]:
    """``count`` messages of 1,000 characters, each ``texts`` joined end to end
    (the latency benches' message size)."""
    pool = [t for t in texts if t.strip()] or ["The quick brown fox jumps over the lazy dog."]
    out: list[str] = []
    i = 0
    while len(out) < count:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 1000:
            parts.append(pool[i % len(pool)])
            i += 1
        out.append(" ".join(parts)[:1000])
    return out


@dataclass
class TrainedModel:
    """A trained classifier and everything its data card reports."""

    classifier: TextClassifier
    metrics: dict[str, Any]
    counts: dict[str, Any]


def train_model(
    model: str,
    data: TrainingData,
    *,
    seed: int,
    progress: Progress | None = None,
    shared: SharedFeatures | None = None,
    features: FeatureConfig | None = None,
) -> TrainedModel:
    """Train, calibrate and measure one shipped model on ``data``."""
    say = progress or (lambda _msg: None)
    examples = data.for_task(model)
    train, dev = split_by_group(examples, seed=seed, dev_fraction=DEV_FRACTION)
    specs = head_specs(model, train)
    say(f"{model}: fitting {len(specs)} heads on {len(train)} examples")
    window = INJECTION_WINDOW if model == "injection" else 0
    clf = fit_classifier(
        model, train, specs, seed=seed, window_chars=window, shared=shared, features=features
    )
    say(f"{model}: calibrating on {len(dev)} dev examples")
    metrics = calibrate_and_evaluate(clf, dev, specs)
    scores = out_of_fold_scores(
        model,
        examples,
        specs,
        dev_model=clf,
        seed=seed,
        shared=shared,
        features=features,
        window_chars=window,
        progress=say,
    )
    floors = production_floors(examples, scores, specs)
    metrics["production_calibration"] = {
        "derivation": PRODUCTION_DERIVATION,
        "folds": CROSS_FIT_FOLDS,
        "pool": len(examples),
        "positives": {s.label: sum(1 for e in examples if s.target(e)) for s in specs},
        "floors": {k: round(v, 6) for k, v in floors.items()},
        **calibrate_sides(clf, examples, specs, scores=scores, floors=floors),
    }
    if data.data_dir is not None:
        metrics["alpaca_benign"] = measure_benign_fpr(clf, data.data_dir)
    say(f"{model}: measuring latency")
    metrics["latency"] = measure_latency(clf, [e.text for e in dev or train])
    counts = _counts(model, train, dev)
    clf.metadata = {
        "seed": seed,
        "dev_fraction": DEV_FRACTION,
        "trained_on": counts["train"],
        "data_dir": str(data.data_dir) if data.data_dir else None,
    }
    return TrainedModel(classifier=clf, metrics=metrics, counts=counts)


def _counts(model: str, train: Sequence[Example], dev: Sequence[Example]) -> dict[str, Any]:
    def tally(rows: Sequence[Example]) -> dict[str, Any]:
        by_source: Counter[str] = Counter()
        for e in rows:
            by_source[f"{e.source}:{'positive' if e.label(model) else 'negative'}"] += 1
        return {
            "examples": len(rows),
            "positives": sum(1 for e in rows if e.label(model)),
            "groups": len({e.group for e in rows}),
            "by_source": dict(sorted(by_source.items())),
        }

    return {"train": tally(train), "dev": tally(dev)}


def train_guard_models(
    data: TrainingData,
    *,
    out: Path,
    seed: int = 0,
    models: Sequence[str] = SHIPPED_MODELS,
    command: str = "redline train guard",
    progress: Progress | None = None,
    features: FeatureConfig | None = None,
) -> dict[str, TrainedModel]:
    """Train each model in ``models`` and write ``out/<model>/`` (weights,
    config, CARD.md, metrics.json)."""
    from redline.classifiers.data_card import write_data_card

    unknown = [m for m in models if m not in SHIPPED_MODELS]
    if unknown:
        raise ConfigError(
            f"--models: unknown model {unknown[0]!r}; known: {', '.join(SHIPPED_MODELS)}"
        )
    results: dict[str, TrainedModel] = {}
    features = features or parse_features()
    shared = SharedFeatures(data.examples, features)
    for model in models:
        trained = train_model(
            model, data, seed=seed, progress=progress, shared=shared, features=features
        )
        target = out / model
        trained.classifier.save(target)
        write_data_card(target, model=model, trained=trained, data=data, command=command)
        results[model] = trained
    return results
