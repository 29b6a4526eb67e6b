"""Data cards for the guard classifiers: CARD.md for people, metrics.json for tools."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redline.classifiers.public_sources import MEASUREMENT_ONLY
from redline.classifiers.training_data import TrainingData

if TYPE_CHECKING:
    from redline.classifiers.training import TrainedModel

_PURPOSE = {
    "harm": (
        "Scores prompts and responses for harmful content: a combined `harmful` head and "
        "one-vs-rest heads per hazard category (MLCommons S1-S14 numbering as in "
        "`redline.data.taxonomy`, plus `harassment`) where the training data has enough "
        "positives."
    ),
    "jailbreak": (
        "Scores prompts for jailbreak technique (role-play/DAN personas, refusal "
        "suppression, obfuscation), independent of whether the request inside is harmful."
    ),
    "injection": (
        "Scores text for prompt injection: direct ('ignore previous instructions...') and "
        "indirect (instructions hidden in emails, code, tables or tool results)."
    ),
}


def write_data_card(
    directory: Path,
    *,
    model: str,
    trained: TrainedModel,
    data: TrainingData,
    command: str,
) -> None:
    """Write ``CARD.md`` and ``metrics.json`` for one trained model."""
    clf = trained.classifier
    sources = _sources_used(model, trained, data)
    document: dict[str, Any] = {
        "model": model,
        "labels": clf.labels,
        "window_chars": clf.window_chars,
        "features": clf.features.to_dict(),
        "thresholds": clf.thresholds,
        "thresholds_at_1pct_fpr": clf.thresholds_at_1pct_fpr,
        "side_thresholds": clf.side_thresholds,
        "command": command,
        "seed": clf.metadata.get("seed"),
        "data_dir": clf.metadata.get("data_dir"),
        "notes": data.notes,
        "sources": sources,
        "counts": trained.counts,
        "dev": {k: v for k, v in trained.metrics.items() if k != "latency"},
        "latency": {**trained.metrics["latency"], "machine": _machine()},
        "artifact_bytes": sum(p.stat().st_size for p in directory.glob("*.npz")),
    }
    (directory / "metrics.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    (directory / "CARD.md").write_text(_render(document))


def _machine() -> str:
    return f"{platform.machine()} {platform.processor() or ''} {platform.system()}".strip()


def _sources_used(model: str, trained: TrainedModel, data: TrainingData) -> list[dict[str, Any]]:
    used: dict[str, int] = {}
    for split in ("train", "dev"):
        for key, n in trained.counts[split]["by_source"].items():
            name = key.rsplit(":", 1)[0]
            used[name] = used.get(name, 0) + n
    out = []
    for name, n in sorted(used.items()):
        # "disguised:<converter>" rows share the "disguised" source entry.
        info = data.sources.get(name) or data.sources.get(name.split(":", 1)[0])
        out.append(
            {
                "name": name,
                "origin": info.origin if info else "",
                "license": info.license if info else "",
                "examples": n,
            }
        )
    return out


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _extra_features(features: dict[str, Any]) -> str:
    parts = []
    if features.get("static_embedding"):
        parts.append(
            f"the {features['static_dims']}-dimension static word-piece embedding "
            f"`{features['static_embedding']}` distilled from MiniLM "
            "(`redline.classifiers.static_embedding`)"
        )
    if features.get("profanity"):
        parts.append("the `alt-profanity-check` probability")
    return "".join(f", plus {p}" for p in parts)


def _render(doc: dict[str, Any]) -> str:
    lines = [
        f"# Data card: `{doc['model']}` guard classifier",
        "",
        _PURPOSE[doc["model"]],
        "",
        "Model: hashed word 1-2-grams and character 3-5-grams of the lower-cased, "
        "whitespace-collapsed text (`redline.classifiers.features`)"
        + _extra_features(doc.get("features", {}))
        + ", one balanced logistic-regression head per label (SGD), weights stored as "
        "int8 with a per-head scale. Load with `redline.classifiers.load_classifier("
        f"{doc['model']!r})`."
        + (
            f" Texts longer than {doc['window_chars']} characters are scored in "
            "half-overlapping windows, taking the maximum."
            if doc.get("window_chars")
            else ""
        ),
        "",
        f"Rebuilt by `{doc['command']}` (seed {doc['seed']}, data dir "
        f"`{doc['data_dir'] or 'none: redline-written data only'}`). The shipped artifact is "
        "the output of `redline train guard` with its defaults; the same command and seed "
        "give the same weights.",
        "",
        "## Sources",
        "",
        "| source | origin | licence | examples |",
        "|---|---|---|---|",
    ]
    for s in doc["sources"]:
        lines.append(f"| {s['name']} | {s['origin']} | {s['license']} | {s['examples']} |")
    lines += [
        "",
        "`redline-generated` rows are our jailbreak and injection templates filled with "
        "requests from the other sources; `disguised:<converter>` rows are requests from "
        "the other sources through that `redline.attacks` converter (harmful ones are "
        "positives, benign ones hard negatives). `redline-written` rows are the package "
        "data files in `redline/classifiers/examples/` (see their CARD.md), a minority "
        "supplement.",
        "",
        "Measurement only, never trained on (licence or purpose):",
        "",
        *[f"- {name}: {why}" for name, why in MEASUREMENT_ONLY.items()],
    ]
    if doc.get("side_thresholds"):
        calibration = doc["dev"].get("production_calibration", {})
        how = (
            f"of that side's benign mix in the out-of-fold scores of all "
            f"{calibration['pool']} examples ({calibration['folds']} group folds, fold 0 "
            f"the dev split; {calibration['derivation']})"
            if "pool" in calibration
            else "of that side's benign dev mix"
        )
        lines += [
            "",
            "Production cut-offs (`calibration: production`, the default policy's): per "
            f"side, the score that flags at most 1% {how}, every source of the mix "
            "weighing the same (inputs: prompts, documents, code, emails, role/system "
            "prompts; outputs: refusals and safe completions):",
            "",
            "| side | label | cut-off |",
            "|---|---|---|",
            *[
                f"| {side} | {label} | {cut:.4f} |"
                for side, cuts in doc["side_thresholds"].items()
                for label, cut in cuts.items()
            ],
        ]
    if doc["notes"]:
        lines += ["", *[f"- {n}" for n in doc["notes"]]]
    train, dev = doc["counts"]["train"], doc["counts"]["dev"]
    lines += [
        "",
        "## Split",
        "",
        "Dev is held out by *group* (a seeded hash of the group name picks about 20% of "
        "groups): jailbreak and injection templates, behaviours, BIPIA contexts (each "
        "paired only with attack instructions from its own side) and our written task "
        "families go wholly to one side, so dev measures unseen wordings, not memorised "
        "templates. Dev negatives still come from the same sources as training.",
        "",
        f"- train: {train['examples']} examples ({train['positives']} positive) in "
        f"{train['groups']} groups",
        f"- dev: {dev['examples']} examples ({dev['positives']} positive) in "
        f"{dev['groups']} groups",
        "",
        "## Dev metrics",
        "",
        "Thresholds are chosen on dev (maximum F1, and the highest recall at <= 1% FPR), "
        "so F1 at the chosen threshold is optimistic; AUPRC is threshold-free. "
        "`thresholds` in config.json holds the max-F1 ones. For a rare category head "
        "1% FPR allows more false positives than max F1 does, so its 1%-FPR threshold "
        "can be the lower of the two.",
        "",
        "| label | dev pos/neg | AUPRC | threshold (max F1) | F1 | precision | recall | "
        "threshold (1% FPR) | recall at 1% FPR |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, m in doc["dev"]["labels"].items():
        if "auprc" not in m:
            lines.append(
                f"| {label} | {m['dev_positives']}/{m['dev_negatives']} | n/a | 0.5 | n/a | "
                "n/a | n/a | n/a | n/a |"
            )
            continue
        f1 = m["at_max_f1"]
        lines.append(
            f"| {label} | {m['dev_positives']}/{m['dev_negatives']} | {_fmt(m['auprc'])} | "
            f"{_fmt(f1['threshold'])} | {_fmt(f1['f1'])} | {_fmt(f1['precision'])} | "
            f"{_fmt(f1['recall'])} | {_fmt(m['at_1pct_fpr']['threshold'])} | "
            f"{_fmt(m['recall_at_1pct_fpr'])} |"
        )
    lines += [
        "",
        "Flag rate of the combined head by dev source (recall on positives, false-positive "
        "rate on negatives), at the max-F1 threshold:",
        "",
        "| source:class | flagged / n | rate |",
        "|---|---|---|",
    ]
    for key, v in doc["dev"]["by_source"].items():
        lines.append(f"| {key} | {v['flagged']} / {v['n']} | {_fmt(v['rate'])} |")
    alpaca = doc["dev"].get("alpaca_benign")
    if alpaca:
        lines += [
            "",
            "## Benign traffic check",
            "",
            f"On the {alpaca['n']} Alpaca benign instructions (`{alpaca['source']}`, "
            "CC-BY-NC-4.0: measured only, never trained on) the combined head flags "
            f"{alpaca['fpr_at_max_f1']:.1%} at the max-F1 threshold and "
            f"{alpaca['fpr_at_1pct_fpr_threshold']:.1%} at the 1%-FPR threshold"
            + (
                f" and {alpaca['fpr_at_production_input_threshold']:.1%} at the production "
                "input cut-off (the default policy's)"
                if "fpr_at_production_input_threshold" in alpaca
                else ""
            )
            + ". This set is closer to ordinary traffic than dev, whose negatives come from "
            "the same sources as training. Leave-one-source-out figures "
            "(`bench/guard_loso.py`, docs/benchmarks.md) are the ones that count.",
        ]
    lat = doc["latency"]
    lines += [
        "",
        "## Latency",
        "",
        f"Measured at training time on {lat['machine']} (OMP_NUM_THREADS="
        f"{lat['omp_num_threads']}), one ~{lat['message_chars']}-character message per call: "
        f"p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms; batches of {lat['batch_size']}: "
        f"{lat['batch_messages_per_s']} messages/s. Timing varies by machine and load; "
        "`bench/guard_quality.py` re-measures.",
        "",
        f"Artifact size: {doc['artifact_bytes']} bytes (weights.npz).",
        "",
        "## Limits",
        "",
        "- A bag of n-grams: it sees words, not intent. Paraphrases far from the training "
        "wordings, other languages and long multi-turn context are weak spots.",
        "- Category heads exist only where the data has enough positives; absent categories "
        "are covered by the combined head alone.",
        "- Category heads are SGD logistic heads with saturated scores on rare categories; "
        "under `calibration: production` the guard caps each category by the combined "
        "score, so categories label what the combined head found rather than block alone.",
        "- Response-side data is GPTFuzz (three models' replies to jailbreak prompts), DICES "
        "and our written replies; measure on your own traffic before blocking outputs.",
        "",
    ]
    return "\n".join(lines)
