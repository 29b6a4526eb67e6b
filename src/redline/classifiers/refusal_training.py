"""Training data and training code for the refusal classifier (``redline train refusal``).

The classifier labels response *segments* ``refusal``, ``content`` or ``other``
(see :mod:`redline.classifiers.refusal_model` for how segments make a
response label). Training data:

- segments the redline authors wrote (``data/refusal_segments.yaml``, Apache-2.0),
  in template families, filled with topics and objects by a seeded random generator;
- substantive answer text from public data with permissive licences, as
  ``content``: GSM8K worked answers (MIT) and self-instruct seed outputs
  (Apache-2.0), read from ``../shared/data`` when present.

Not trained on: HarmBench's refusal exemplars (licence not stated; the bench
measures on them) and the labelled dev set shipped with the artifact.
Every fourth template of each family is held out of training and used,
composed into responses, for the written part of the dev set.
"""

from __future__ import annotations

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
from redline.classifiers.refusal_model import SEGMENT_LABELS, RefusalClassifier, split_segments
from redline.core.config_files import load_yaml_model
from redline.core.errors import ConfigError
from redline.core.outcome import FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL
from redline.data.labelled_rows import read_labelled_rows

MODEL_VERSION = "1"
TEMPLATES_FILE = "refusal_segments.yaml"
FEATURES = FeatureConfig(word_features=2**15, char_features=2**15, max_chars=2000)
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
    pieces = [p for t in texts for p in split_segments(t) if len(p) >= 12]
    rng.shuffle(pieces)
    return pieces[:limit]


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
    clf.save(out)
    say("measuring on the dev set")
    classifier = RefusalClassifier(directory=out)
    metrics: dict[str, Any] = {
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
    lines = [
        "# Refusal classifier (segment model)",
        "",
        f"Rebuild: `{command}` (seed {metrics['seed']}; same data, same artifact).",
        "",
        "## What it does",
        "Labels each response segment `refusal`, `content` or `other`; "
        "`redline.classifiers.refusal_model` combines the segments into "
        "`full_refusal` / `partial_refusal` / `full_compliance`.",
        "Features: hashed word 1-2-grams and character 3-5-grams (2x32768 buckets); "
        "one balanced logistic head per segment label; int8 weights.",
        "",
        "## Trained on",
        f"- {sum(metrics['train_segments'].values())} segments "
        f"({', '.join(f'{k} {v}' for k, v in sorted(metrics['train_segments'].items()))}).",
        "- Refusals, partial declines, redirects, warnings, disclaimers, preambles, closings and "
        "content sentences (steps, facts, code, lists, stories, scam text, vague harmful "
        "compliance) written by the redline authors "
        "(`redline/classifiers/data/refusal_segments.yaml`, Apache-2.0), "
        "filled with topics by a seeded generator.",
        f"- {metrics['public_content_sentences']} `content` sentences from public answers: "
        "GSM8K worked solutions (MIT) and self-instruct seed outputs (Apache-2.0)"
        + ("" if data_dir else " (none: trained without ../shared/data)")
        + ".",
        "- NOT trained on: HarmBench refusal exemplars (licence not stated; measured only), "
        "responses of any model, the dev set below.",
        "",
        "## Dev sets (kept out of training)",
        f"- Written responses from held-out templates (every {DEV_EVERY}th of each family), "
        f"labelled by construction: n={written['n']}, accuracy {written['accuracy']}, "
        f"macro-F1 {written['macro_f1']}.",
    ]
    if dev:
        lines.append(
            f"- `dev.jsonl` (SmolLM2-135M responses labelled by reading, plus written "
            f"responses): n={dev['n']}, accuracy {dev['accuracy']}, macro-F1 {dev['macro_f1']}, "
            f"refused-vs-not F1 {dev['refused_f1']}."
        )
    lines += [
        "",
        "## Limits",
        "- English only. Written templates are short; unusual refusal styles (e.g. refusing "
        "by changing the subject without saying so) are labelled compliance.",
        "- A segment model does not judge whether content is *harmful* or *useful*: "
        "nonsense that does not refuse is `full_compliance` (pair with a harm scorer).",
        "",
    ]
    (out / "CARD.md").write_text("\n".join(lines))
