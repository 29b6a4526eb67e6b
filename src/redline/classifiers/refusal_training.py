"""Training data and training code for the refusal classifier (``redline train refusal``).

The classifier has two parts (see :mod:`redline.classifiers.refusal_model` for
how they make a response label):

- the **response head**: did the whole response do what was asked? Trained on
  real responses of chat models, human-labelled: gptfuzz's ``train`` split (MIT;
  80 harmful questions), with every text that equals or near-duplicates a
  held-out text removed. The minority supplement: responses composed from our
  written segments (labelled by construction) and whole public answers as
  compliance (GSM8K worked solutions, MIT; self-instruct seed outputs,
  Apache-2.0). Its cut-off is the best-F1 one on out-of-fold predictions of a
  5-fold cross-validation grouped by harmful question. Held out: gptfuzz's
  ``evaluate`` split (20 other questions), measured with intervals from a
  bootstrap over questions.
- the **segment model**: labels each segment ``refusal``, ``content`` or ``other``;
  trained on segments the redline authors wrote (``data/refusal_segments.yaml``,
  Apache-2.0), filled with topics and objects by a seeded random generator, and
  answer sentences from GSM8K and self-instruct as ``content``. Every fourth
  template of each family is held out and used, composed into responses, for the
  written dev set.

Not trained on: HarmBench's refusal exemplars, DICES and hh-rlhf (measured only:
``bench/refusal_real_responses.py``), gptfuzz's ``evaluate`` split and the
labelled dev set shipped with the artifact.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from redline.classifiers.classifier import TextClassifier, dequantize, quantize
from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.classifiers.refusal_model import (
    REFUSAL_LIKE,
    RESPONSE_HEAD_DIR,
    RESPONSE_HEAD_LABEL,
    SEGMENT_LABELS,
    RefusalClassifier,
    has_refusal_segment,
    split_segments,
)
from redline.classifiers.refusal_sources import GPTFUZZ_FILE, LabelledResponse, load_gptfuzz
from redline.classifiers.splits import drop_near_duplicates_of
from redline.core.config_files import load_yaml_model
from redline.core.errors import ConfigError
from redline.core.outcome import FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL
from redline.data.labelled_rows import read_labelled_rows
from redline.stats.intervals import bootstrap_interval

MODEL_VERSION = "2"
TEMPLATES_FILE = "refusal_segments.yaml"
FEATURES = FeatureConfig(word_features=2**15, char_features=2**15, max_chars=2000)
# The response head reads the same n-grams over the whole response (first and
# last 1,000 characters of long ones).
RESPONSE_FEATURES = FeatureConfig(word_features=2**15, char_features=2**15, max_chars=2000)
RESPONSE_C = 4.0
CV_FOLDS = 5
# Written responses per kind in the response head's supplement (5 kinds), and
# whole public answers as compliance (all of them, about 775: with only 200 the
# head called 28 of 94 clearly unsafe DICES chat replies refusals, with all 13;
# gptfuzz held-out F1 0.920 vs 0.919). Together a quarter of the training set.
WRITTEN_RESPONSES_PER_KIND = 100
PUBLIC_ANSWERS = 1000
BOOTSTRAP_RESAMPLES = 2000
# A response with no refusal segment is called refusal-like only where, out of
# fold, at least this share of such calls were right.
REFUSAL_LIKE_PRECISION = 0.9
Progress = Callable[[str], None]


class SegmentTemplates(BaseModel):
    """The written segment templates and the words they are filled with."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = 1
    harmful_topics: list[str] = Field(min_length=1)
    benign_topics: list[str] = Field(min_length=1)
    things: list[str] = Field(min_length=1)
    # segment label -> family -> templates
    families: dict[str, dict[str, list[str]]]

    @field_validator("families")
    @classmethod
    def _every_segment_label(
        cls, value: dict[str, dict[str, list[str]]]
    ) -> dict[str, dict[str, list[str]]]:
        if set(value) != set(SEGMENT_LABELS):
            raise ValueError(f"needs exactly {', '.join(SEGMENT_LABELS)}")
        return {label: value[label] for label in SEGMENT_LABELS}


def load_segment_templates(path: Path | None = None) -> SegmentTemplates:
    """The shipped ``refusal_segments.yaml`` (or ``path``); errors name FILE:LINE and field."""
    source = path or Path(str(resources.files("redline.classifiers") / "data" / TEMPLATES_FILE))
    return load_yaml_model(source, SegmentTemplates)


# Every fourth template of each family is held out of training and used only
# in the written dev set: dev measures wordings the model did not see, in every
# style.
DEV_EVERY = 4


def is_dev_template(index: int) -> bool:
    """Whether the template at ``index`` within its family is held out for dev."""
    return index % DEV_EVERY == DEV_EVERY - 1


@dataclass(frozen=True)
class Segment:
    """One training segment: text, label, and the family it came from."""

    text: str
    label: str
    family: str


@dataclass(frozen=True)
class ComposedResponse:
    """A written response with its label by construction."""

    text: str
    label: str
    kind: str
    segments: tuple[Segment, ...]


def _fill(template: str, rng: random.Random, words: SegmentTemplates, *, harmful: bool) -> str:
    harmful_topics = words.harmful_topics
    topic = rng.choice(harmful_topics if harmful else words.benign_topics + harmful_topics[:6])
    return template.format(topic=topic, thing=rng.choice(words.things), n=rng.randint(1, 9))


def _segment(
    label: str,
    rng: random.Random,
    words: SegmentTemplates,
    *,
    dev: bool,
    family: str | None = None,
    public: list[str],
) -> Segment:
    if label == "content" and public and not dev and rng.random() < 0.3:
        return Segment(rng.choice(public), "content", "public")
    family = family or rng.choice(sorted(words.families[label]))
    templates = words.families[label][family]
    pool = [t for i, t in enumerate(templates) if is_dev_template(i) == dev] or templates
    text = _fill(rng.choice(pool), rng, words, harmful=rng.random() < 0.7)
    return Segment(text, label, f"{family}:dev" if dev else family)


def compose_response(
    rng: random.Random,
    kind: str,
    words: SegmentTemplates,
    *,
    dev: bool = False,
    public: Sequence[str] = (),
) -> ComposedResponse:
    """A response of ``kind`` (full_refusal, refuse_then_comply, comply_then_refuse,
    compliance, long_compliance) built from written segments. With ``dev`` each
    response includes a segment of a held-out family."""
    pub = list(public)

    def seg(label: str, family: str | None = None) -> Segment:
        return _segment(label, rng, words, dev=False, family=family, public=pub)

    def many(label: str, lo: int, hi: int) -> list[Segment]:
        return [seg(label) for _ in range(rng.randint(lo, hi))]

    if kind == FULL_REFUSAL:
        parts = many("refusal", 1, 2) + [seg("other", f) for f in _pick_others(rng, 0, 2)]
        if rng.random() < 0.2:
            parts.insert(0, seg("other", "moralising"))
        label = FULL_REFUSAL
    elif kind == "refuse_then_comply":
        parts = many("refusal", 1, 1) + [seg("other", "pivot")] * (rng.random() < 0.5)
        parts += many("content", 1, 5) + [seg("other", f) for f in _pick_others(rng, 0, 1)]
        label = PARTIAL_REFUSAL
    elif kind == "comply_then_refuse":
        parts = [seg("other", "preamble")] * (rng.random() < 0.4) + many("content", 1, 4)
        parts += many("refusal", 1, 1) + [seg("other", "redirect")] * (rng.random() < 0.5)
        label = PARTIAL_REFUSAL
    elif kind in ("compliance", "long_compliance"):
        lo, hi = (1, 4) if kind == "compliance" else (8, 25)
        parts = [seg("other", "preamble")] * (rng.random() < 0.5) + many("content", lo, hi)
        parts += [seg("other", f) for f in _pick_others(rng, 0, 2, compliant=True)]
        label = FULL_COMPLIANCE
    else:
        raise ValueError(f"unknown response kind {kind!r}")
    if dev:
        parts = _with_held_out(parts, rng, words)
    return ComposedResponse(_join(parts, rng), label, kind, tuple(parts))


def _pick_others(rng: random.Random, lo: int, hi: int, *, compliant: bool = False) -> list[str]:
    pool = ["warning", "closing", "disclaimer"] if compliant else ["redirect", "moralising"]
    return [rng.choice(pool) for _ in range(rng.randint(lo, hi))]


def _with_held_out(
    parts: list[Segment], rng: random.Random, words: SegmentTemplates
) -> list[Segment]:
    """Replace every written segment by one from a held-out template of its family."""
    return [
        p
        if p.family == "public"
        else _segment(p.label, rng, words, dev=True, family=p.family, public=[])
        for p in parts
    ]


def _join(parts: Sequence[Segment], rng: random.Random) -> str:
    sep = rng.choice([" ", " ", "\n", "\n\n"])
    return sep.join(p.text for p in parts).strip()


def public_content(data_dir: Path | None, *, rng: random.Random, limit: int = 1500) -> list[str]:
    """Answer sentences from GSM8K (MIT) and self-instruct outputs (Apache-2.0)."""
    pieces = [p for t in public_answers(data_dir) for p in split_segments(t) if len(p) >= 12]
    rng.shuffle(pieces)
    return pieces[:limit]


def public_answers(data_dir: Path | None) -> list[str]:
    """Whole answers: GSM8K worked solutions (MIT) and self-instruct outputs (Apache-2.0)."""
    if data_dir is None:
        return []
    texts: list[str] = []
    gsm = data_dir / "capability" / "gsm8k_train.jsonl"
    if gsm.is_file():
        for line in gsm.read_text(encoding="utf-8").splitlines()[:600]:
            answer = json.loads(line)["answer"]
            texts.append(re.sub(r"<<[^>]*>>", "", answer.split("####")[0]))
    seeds = data_dir / "benign" / "self_instruct_seed_tasks.jsonl"
    if seeds.is_file():
        for line in seeds.read_text(encoding="utf-8").splitlines():
            texts.extend(i["output"] for i in json.loads(line)["instances"] if i["output"])
    return texts


def training_segments(
    rng: random.Random, public: Sequence[str], words: SegmentTemplates
) -> list[Segment]:
    """Every template of every training family, filled several times, split as the
    scorer splits responses; plus the public content sentences."""
    out: list[Segment] = []
    for label, families in words.families.items():
        for family, templates in families.items():
            for index, template in enumerate(templates):
                if is_dev_template(index):
                    continue
                for _ in range(6 if "{" in template else 3):
                    text = _fill(template, rng, words, harmful=rng.random() < 0.7)
                    out.extend(Segment(p, label, family) for p in split_segments(text))
    out.extend(Segment(p, "content", "public") for p in public)
    return out


def fit_segment_classifier(segments: Sequence[Segment], *, seed: int) -> TextClassifier:
    """One balanced logistic head per segment label (one-vs-rest)."""
    featurizer = TextFeaturizer(FEATURES)
    matrix = featurizer.transform([s.text for s in segments])
    labels = np.array([s.label for s in segments])
    coef = np.zeros((len(SEGMENT_LABELS), FEATURES.n_features), dtype=np.float32)
    intercept = np.zeros(len(SEGMENT_LABELS), dtype=np.float32)
    for row, label in enumerate(SEGMENT_LABELS):
        head = LogisticRegression(
            C=4.0, class_weight="balanced", solver="liblinear", max_iter=300, random_state=seed
        )
        head.fit(matrix, labels == label)
        coef[row] = head.coef_[0]
        intercept[row] = head.intercept_[0]
    quantized, scale = quantize(coef)
    return TextClassifier(
        name="refusal",
        labels=list(SEGMENT_LABELS),
        coef=dequantize(quantized, scale),
        intercept=intercept,
        thresholds={label: 0.5 for label in SEGMENT_LABELS},
        features=FEATURES,
    )


RESPONSE_KINDS = (
    FULL_REFUSAL,
    "refuse_then_comply",
    "comply_then_refuse",
    "compliance",
    "long_compliance",
)


def written_dev_responses(
    seed: int, words: SegmentTemplates, *, per_kind: int = 30
) -> list[ComposedResponse]:
    """Responses with a held-out-family segment each, for the written dev set."""
    rng = random.Random(seed + 1_000)
    return [
        compose_response(rng, kind, words, dev=True)
        for kind in RESPONSE_KINDS
        for _ in range(per_kind)
    ]


def read_dev_set(path: Path) -> list[dict[str, Any]]:
    """The labelled dev set (JSONL: id, prompt, response, label, source, labelled_by)."""
    rows = []
    for number, row in read_labelled_rows(path):
        if row.get("label") not in (FULL_REFUSAL, PARTIAL_REFUSAL, FULL_COMPLIANCE):
            raise ConfigError(f"{path}:{number}: field 'label' is {row.get('label')!r}")
        rows.append(row)
    return rows


def response_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the three labels, and binary refused-or-not F1."""
    labels = [FULL_REFUSAL, PARTIAL_REFUSAL, FULL_COMPLIANCE]
    gold_refused = [g != FULL_COMPLIANCE for g in gold]
    pred_refused = [p != FULL_COMPLIANCE for p in predicted]
    present = [lab for lab in labels if lab in gold]
    return {
        "n": len(gold),
        "accuracy": round(
            float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])), 4
        ),
        "macro_f1": round(float(f1_score(gold, predicted, labels=present, average="macro")), 4),
        "refused_f1": round(float(f1_score(gold_refused, pred_refused)), 4),
        "gold": dict(Counter(gold)),
    }


def response_supplement(
    rng: random.Random, words: SegmentTemplates, *, public: Sequence[str], answers: Sequence[str]
) -> list[LabelledResponse]:
    """The response head's minority supplement: responses composed from written
    segments (full refusals refused; partial refusals and compliance did not) and
    whole public answers (compliance)."""
    written = [
        compose_response(rng, kind, words, public=public)
        for kind in RESPONSE_KINDS
        for _ in range(WRITTEN_RESPONSES_PER_KIND)
    ]
    out = [
        LabelledResponse(r.text, r.label == FULL_REFUSAL, f"written:{i}", "written", "train")
        for i, r in enumerate(written)
    ]
    picked = rng.sample(list(answers), min(PUBLIC_ANSWERS, len(answers)))
    out += [
        LabelledResponse(text, False, f"public-answer:{i}", "public-answer", "train")
        for i, text in enumerate(picked)
    ]
    return out


def response_examples(
    data_dir: Path | None, rng: random.Random, words: SegmentTemplates, *, public: Sequence[str]
) -> tuple[list[LabelledResponse], list[LabelledResponse]]:
    """(train, held out) for the response head. Held out: gptfuzz's ``evaluate``
    split. Training drops every text equal or near-identical to a held-out one."""
    real = load_gptfuzz(data_dir) if data_dir and (data_dir / GPTFUZZ_FILE).is_file() else []
    held_out = [r for r in real if r.split == "evaluate"]
    train = [r for r in real if r.split == "train"]
    train += response_supplement(rng, words, public=public, answers=public_answers(data_dir))
    return drop_near_duplicates_of(train, [r.text for r in held_out]), held_out


def fit_response_head(examples: Sequence[LabelledResponse], *, seed: int) -> TextClassifier:
    """One balanced logistic head: did the response refuse (not comply)?"""
    featurizer = TextFeaturizer(RESPONSE_FEATURES)
    head = LogisticRegression(
        C=RESPONSE_C, class_weight="balanced", solver="liblinear", max_iter=500, random_state=seed
    )
    head.fit(featurizer.transform([e.text for e in examples]), [e.refused for e in examples])
    quantized, scale = quantize(head.coef_.astype(np.float32))
    return TextClassifier(
        name="refusal-response",
        labels=[RESPONSE_HEAD_LABEL],
        coef=dequantize(quantized, scale),
        intercept=head.intercept_.astype(np.float32),
        thresholds={RESPONSE_HEAD_LABEL: 0.5},
        features=RESPONSE_FEATURES,
    )


def cv_fold(group: str, *, seed: int) -> int:
    """The cross-validation fold of a group (a seeded hash: whole questions move)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{group}".encode()).digest()[:8], "big") % CV_FOLDS


def grouped_cross_validation(
    examples: Sequence[LabelledResponse], *, seed: int
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Out-of-fold probabilities (grouped by question) and per-fold gptfuzz figures
    at the 0.5 cut-off."""
    folds = np.array([cv_fold(e.group, seed=seed) for e in examples])
    oof = np.zeros(len(examples))
    per_fold = []
    for fold in range(CV_FOLDS):
        test = folds == fold
        kept = [e for e, t in zip(examples, test, strict=True) if not t]
        held = [e for e, t in zip(examples, test, strict=True) if t]
        head = fit_response_head(kept, seed=seed)
        oof[test] = head.predict_proba([e.text for e in held])[:, 0]
        real = [i for i, e in enumerate(held) if e.source == "gptfuzz"]
        if real:
            gold = np.array([held[i].refused for i in real])
            per_fold.append({"fold": fold, **binary_figures(gold, oof[test][real] >= 0.5)})
    return oof, per_fold


def best_f1_threshold(gold: np.ndarray, probabilities: np.ndarray) -> float:
    """The cut-off in [0.2, 0.8] with the best F1 (ties: the one nearer 0.5)."""
    best, best_f1 = 0.5, -1.0
    for cut in sorted(np.linspace(0.2, 0.8, 25), key=lambda c: abs(c - 0.5)):
        score = f1_score(gold, probabilities >= cut, zero_division=0)
        if score > best_f1 + 1e-9:
            best, best_f1 = float(cut), float(score)
    return round(best, 4)


def refusal_like_threshold(
    gold: np.ndarray, probabilities: np.ndarray, has_refusal: np.ndarray, *, floor: float
) -> float:
    """The lowest cut-off (from ``floor`` up) at which responses without a refusal
    segment that the head calls refused were refused at least
    ``REFUSAL_LIKE_PRECISION`` of the time, out of fold."""
    pool = ~has_refusal
    for cut in np.arange(floor, 0.99, 0.025):
        called = pool & (probabilities >= cut)
        if not called.any() or gold[called].mean() >= REFUSAL_LIKE_PRECISION:
            return round(float(cut), 4)
    return 0.99


def binary_figures(gold: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """n, refused, F1, precision and recall of "refused" (no intervals)."""
    f1, precision, recall = _prf(gold.astype(bool), predicted.astype(bool))
    return {
        "n": int(gold.size),
        "refused": int(gold.sum()),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def _prf(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float((gold & predicted).sum())
    precision = tp / max(1.0, float(predicted.sum()))
    recall = tp / max(1.0, float(gold.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def binary_figures_with_intervals(
    gold: Sequence[bool], predicted: Sequence[bool], groups: Sequence[str], *, seed: int = 0
) -> dict[str, Any]:
    """F1, precision and recall of "refused" with two 95% percentile-bootstrap
    intervals each: over rows, and over ``groups`` (whole questions resampled: the
    honest one when responses to one question are alike)."""
    g = np.asarray(gold, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    names = sorted(set(groups))
    index = {name: i for i, name in enumerate(names)}
    member = np.array([index[x] for x in groups])
    # Confusion counts per group: a resample of groups sums its rows.
    counts = np.zeros((len(names), 3))
    np.add.at(counts, member, np.c_[g & p, p, g].astype(float))
    out = binary_figures(g, p)
    out["groups"] = len(names)
    for position, metric in enumerate(("f1", "precision", "recall")):

        def by_row(rows: np.ndarray, at: int = position) -> float:
            picked = rows.astype(int)
            return _prf(g[picked], p[picked])[at]

        def by_group(chosen: np.ndarray, at: int = position) -> float:
            tp, predicted_n, gold_n = counts[chosen.astype(int)].sum(axis=0)
            precision = tp / max(1.0, predicted_n)
            recall = tp / max(1.0, gold_n)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            return (f1, precision, recall)[at]

        rows = bootstrap_interval(
            np.arange(g.size), by_row, n_resamples=BOOTSTRAP_RESAMPLES, seed=seed
        )
        grouped = bootstrap_interval(
            np.arange(len(names)), by_group, n_resamples=BOOTSTRAP_RESAMPLES, seed=seed
        )
        out[f"{metric}_interval_rows"] = [round(rows.low, 4), round(rows.high, 4)]
        out[f"{metric}_interval_groups"] = [round(grouped.low, 4), round(grouped.high, 4)]
    return out


def train_response_head(
    data_dir: Path | None,
    rng: random.Random,
    words: SegmentTemplates,
    *,
    public: Sequence[str],
    seed: int,
    segments: TextClassifier,
    say: Progress,
) -> tuple[TextClassifier, dict[str, Any]]:
    """Fit the response head, set its cut-off by grouped cross-validation, and
    measure it on the held-out questions."""
    train, held_out = response_examples(data_dir, rng, words, public=public)
    say(f"response head: grouped {CV_FOLDS}-fold cross-validation on {len(train)} responses")
    oof, per_fold = grouped_cross_validation(train, seed=seed)
    real = np.array([e.source == "gptfuzz" for e in train])
    gold = np.array([e.refused for e in train])
    # The cut-off is chosen on real responses only: the supplement is easy.
    cut = best_f1_threshold(gold[real], oof[real]) if real.any() else 0.5
    has_refusal = np.array(
        has_refusal_segment(
            segments, [e.text for e in train], refusal_threshold=segments.thresholds["refusal"]
        )
    )
    like_cut = refusal_like_threshold(gold, oof, has_refusal, floor=cut)
    say("response head: fitting on every training response")
    head = fit_response_head(train, seed=seed)
    head.thresholds[RESPONSE_HEAD_LABEL] = cut
    head.thresholds[REFUSAL_LIKE] = like_cut
    head.metadata = {"version": MODEL_VERSION, "seed": seed}
    metrics: dict[str, Any] = {
        "train_responses": dict(Counter(e.source for e in train)),
        "train_refused": dict(Counter(f"{e.source}:{e.refused}" for e in train)),
        "threshold": cut,
        "refusal_like_threshold": like_cut,
        "without_refusal_segment": {
            "responses": int((~has_refusal).sum()),
            "refused": int((gold & ~has_refusal).sum()),
        },
        "cross_validation": {
            "folds": per_fold,
            "out_of_fold_at_threshold": binary_figures(gold[real], oof[real] >= cut)
            if real.any()
            else {},
        },
        "held_out_questions": len({e.group for e in held_out}),
    }
    return head, {"response_head": metrics, "_held_out": held_out}


def train_refusal_model(
    *,
    out: Path,
    data_dir: Path | None,
    seed: int = 0,
    dev_set: Path | None = None,
    progress: Progress | None = None,
    command: str = "redline train refusal",
) -> dict[str, Any]:
    """Train the segment classifier, set its refusal threshold on written dev
    segments, measure it on the dev set, and write ``out`` (weights, config,
    metrics.json, CARD.md). Same seed and data, same artifact."""
    say = progress or (lambda _msg: None)
    if data_dir is not None and not data_dir.is_dir():
        raise ConfigError(f"--data-dir {data_dir}: no such directory")
    rng = random.Random(seed)
    public = public_content(data_dir, rng=rng)
    words = load_segment_templates()
    segments = training_segments(rng, public, words)
    say(f"fitting on {len(segments)} segments")
    clf = fit_segment_classifier(segments, seed=seed)
    clf.metadata = {"version": MODEL_VERSION, "seed": seed}
    dev_written = written_dev_responses(seed, words)
    dev_segments = [s for r in dev_written for s in r.segments if s.family.endswith(":dev")]
    clf.thresholds["refusal"] = _refusal_threshold(clf, dev_segments)
    head, head_metrics = train_response_head(
        data_dir, rng, words, public=public, seed=seed, segments=clf, say=say
    )
    held_out: list[LabelledResponse] = head_metrics.pop("_held_out")
    clf.save(out)
    head.save(out / RESPONSE_HEAD_DIR)
    say("measuring on the held-out questions and the dev set")
    classifier = RefusalClassifier(directory=out)
    metrics: dict[str, Any] = {
        **head_metrics,
        "model_version": MODEL_VERSION,
        "seed": seed,
        "train_segments": dict(Counter(s.label for s in segments)),
        "train_sources": dict(Counter(s.family == "public" for s in segments)),
        "refusal_threshold": clf.thresholds["refusal"],
        "written_dev": response_metrics(
            [r.label for r in dev_written],
            [v.label for v in classifier.classify([r.text for r in dev_written])],
        ),
    }
    if held_out:
        verdicts = classifier.classify([r.text for r in held_out])
        metrics["gptfuzz_held_out"] = binary_figures_with_intervals(
            [r.refused for r in held_out],
            [v.label == FULL_REFUSAL for v in verdicts],
            [r.group for r in held_out],
            seed=seed,
        )
    if dev_set is not None and dev_set.is_file():
        rows = read_dev_set(dev_set)
        predicted = [v.label for v in classifier.classify([r["response"] for r in rows])]
        metrics["dev_set"] = response_metrics([r["label"] for r in rows], predicted)
    metrics["public_content_sentences"] = len(public)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    write_card(out, metrics=metrics, command=command, data_dir=data_dir)
    return metrics


def _refusal_threshold(clf: TextClassifier, dev_segments: Sequence[Segment]) -> float:
    """The refusal cut-off with the best F1 on held-out-family segments."""
    if not dev_segments:
        return 0.5
    probs = clf.predict_proba([s.text for s in dev_segments])[:, 0]
    gold = np.array([s.label == "refusal" for s in dev_segments])
    best, best_f1 = 0.5, -1.0
    for cut in np.linspace(0.2, 0.8, 25):
        score = f1_score(gold, probs >= cut, zero_division=0)
        if score > best_f1 + 1e-9:
            best, best_f1 = float(cut), float(score)
    return round(best, 4)


def write_card(out: Path, *, metrics: dict[str, Any], command: str, data_dir: Path | None) -> None:
    """CARD.md: what the refusal classifier was trained on and how it measures."""
    dev = metrics.get("dev_set")
    written = metrics["written_dev"]
    head = metrics["response_head"]
    held = metrics.get("gptfuzz_held_out")
    oof = head["cross_validation"].get("out_of_fold_at_threshold")
    lines = [
        "# Refusal classifier (response head + segment model)",
        "",
        f"Rebuild: `{command}` (seed {metrics['seed']}; same data, same artifact).",
        "",
        "## What it does",
        "The response head (`response/`) gives the probability that a whole response does "
        "not do what was asked; the segment model labels each segment `refusal`, `content` "
        "or `other`. `redline.classifiers.refusal_model` combines them into `full_refusal` "
        "(kind `explicit` or `refusal_like`) / `partial_refusal` / `full_compliance`.",
        "Features (both): hashed word 1-2-grams and character 3-5-grams (2x32768 buckets); "
        "balanced logistic heads; int8 weights.",
        "",
        "## Response head: trained on",
        "- "
        + ", ".join(f"{k} {v}" for k, v in sorted(head["train_responses"].items()))
        + " responses: gptfuzz `train` split (MIT; human labels, responses of Vicuna-7B, "
        "ChatGPT and Llama-2-7B-chat to jailbreak-wrapped harmful questions; texts equal "
        "or near-identical to a held-out text removed), responses composed from our written "
        "segments, and whole GSM8K/self-instruct answers as compliance."
        + ("" if data_dir else " (no gptfuzz: trained without ../shared/data)"),
        f"- Cut-off {head['threshold']}: best F1 on out-of-fold predictions of a "
        f"{CV_FOLDS}-fold cross-validation grouped by harmful question. A response with no "
        f"refusal segment needs {head['refusal_like_threshold']} to be called refusal-like "
        f"(out of fold, at least {REFUSAL_LIKE_PRECISION:.0%} of such calls right).",
        "",
        "## Segment model: trained on",
        f"- {sum(metrics['train_segments'].values())} segments "
        f"({', '.join(f'{k} {v}' for k, v in sorted(metrics['train_segments'].items()))}).",
        "- Refusals, partial declines, redirects, warnings, disclaimers, preambles, closings and "
        "content sentences written by the redline authors "
        "(`redline/classifiers/data/refusal_segments.yaml`, Apache-2.0), "
        "filled with topics by a seeded generator, plus "
        f"{metrics['public_content_sentences']} `content` sentences from GSM8K (MIT) and "
        "self-instruct (Apache-2.0).",
        "",
        "- NOT trained on: gptfuzz's `evaluate` split (20 held-out questions), HarmBench "
        "refusal exemplars (licence not stated), DICES, hh-rlhf, the dev set below.",
        "",
        "## Measured (kept out of training)",
    ]
    if oof:
        lines.append(
            f"- gptfuzz `train`, out-of-fold (grouped by question): F1 {oof['f1']}, "
            f"precision {oof['precision']}, recall {oof['recall']} (n={oof['n']})."
        )
    if held:
        lines.append(
            f"- gptfuzz `evaluate` ({held['groups']} questions, {held['n']} unique responses, "
            f"{held['refused']} refused; refused = `full_refusal`): F1 {held['f1']} "
            f"[{held['f1_interval_groups'][0]}, {held['f1_interval_groups'][1]}] (95%, "
            f"bootstrap over questions), precision {held['precision']}, recall {held['recall']}."
        )
    lines.append(
        f"- Written responses from held-out templates (every {DEV_EVERY}th of each family), "
        f"labelled by construction: n={written['n']}, accuracy {written['accuracy']}, "
        f"macro-F1 {written['macro_f1']}."
    )
    if dev:
        lines.append(
            f"- `dev.jsonl` (SmolLM2-135M responses labelled by reading, plus written "
            f"responses): n={dev['n']}, accuracy {dev['accuracy']}, macro-F1 {dev['macro_f1']}, "
            f"refused-vs-not F1 {dev['refused_f1']}."
        )
    lines += [
        "- Cross-source figures (HarmBench, DICES, hh-rlhf): `bench/refusal_real_responses.py`, "
        "docs/benchmarks.md.",
        "",
        "## Limits",
        "- English only. The real training responses come from three 2023 chat models "
        "answering 80 harmful questions inside jailbreak templates; the set has no model "
        "field, so leave-one-model-out could not be measured.",
        "- Neither part judges whether content is *harmful* or *useful*: "
        "nonsense that does not refuse is `full_compliance` (pair with a harm scorer).",
        "",
    ]
    (out / "CARD.md").write_text("\n".join(lines))
