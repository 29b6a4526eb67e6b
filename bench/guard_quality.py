"""Quality and speed of the shipped guard classifiers.

Prints, per model: dev metrics recomputed from the data (same seed and split as
training, so they should match the data card), the false-positive rate on the
Alpaca benign set (CC-BY-NC: measured here, never trained on), per-message
latency for ~1,000-character messages on one thread, and batch throughput.

    OMP_NUM_THREADS=1 .venv/bin/python bench/guard_quality.py [--data-dir ../shared/data]
        [--artifacts DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers import SHIPPED_MODELS, TextClassifier, artifacts_dir
from redline.classifiers.training import calibrate_and_evaluate, head_specs
from redline.classifiers.training_data import assemble_training_data, split_by_group


def _messages(texts: list[str], count: int = 200, size: int = 1000) -> list[str]:
    out, i = [], 0
    while len(out) < count:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(texts[i % len(texts)])
            i += 1
        out.append(" ".join(parts)[:size])
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p99_ms": round(samples[int(len(samples) * 0.99)], 3),
        "mean_ms": round(statistics.mean(samples), 3),
    }


def _latency(fn, messages: list[str], repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for m in messages[:50]:
        fn(m)
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(messages[i % len(messages)])
        samples.append((time.perf_counter() - start) * 1000)
    return _percentiles(samples)


def _alpaca_fpr(clf: TextClassifier, data_dir: Path) -> dict[str, float] | None:
    path = data_dir / "benign" / "harmless_val.json"
    if not path.exists():
        return None
    texts = [row["instruction"] for row in json.loads(path.read_text())]
    scores = clf.predict_proba(texts)[:, 0]
    label = clf.labels[0]
    return {
        "n": len(texts),
        "fpr_at_max_f1": round(float((scores >= clf.thresholds[label]).mean()), 4),
        "fpr_at_1pct_fpr_threshold": round(
            float((scores >= clf.thresholds_at_1pct_fpr[label]).mean()), 4
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--artifacts", type=Path, default=artifacts_dir())
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    classifiers = {name: TextClassifier.load(args.artifacts / name) for name in SHIPPED_MODELS}
    have_data = args.data_dir.is_dir()
    data = assemble_training_data(
        args.data_dir if have_data else None, seed=0, disguiser=AttackDisguiser()
    )
    sample_texts = [e.text for e in data.examples if 40 < len(e.text) < 400]
    messages = _messages(sample_texts)
    report: dict[str, object] = {
        "machine": f"{platform.machine()} {platform.system()} python {platform.python_version()}",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "message_chars": round(statistics.mean(len(m) for m in messages)),
        "models": {},
    }
    for name, clf in classifiers.items():
        seed = int(clf.metadata.get("seed", 0))
        _train, dev = split_by_group(data.for_task(name), seed=seed)
        specs = head_specs(name, _train)
        probe = TextClassifier(
            name=clf.name,
            labels=clf.labels,
            coef=clf.coef,
            intercept=clf.intercept,
            thresholds=dict(clf.thresholds),
            features=clf.features,
            window_chars=clf.window_chars,
        )
        dev_metrics = calibrate_and_evaluate(probe, dev, specs)["labels"]
        block = messages * 2
        start = time.perf_counter()
        clf.predict_proba(block)
        batch_rate = len(block) / (time.perf_counter() - start)
        report["models"][name] = {  # type: ignore[index]
            "dev": {
                label: {
                    k: m.get(k)
                    for k in ("dev_positives", "dev_negatives", "auprc", "recall_at_1pct_fpr")
                }
                | {"f1": m.get("at_max_f1", {}).get("f1")}
                for label, m in dev_metrics.items()
            },
            "alpaca_benign": _alpaca_fpr(clf, args.data_dir) if have_data else None,
            "latency": _latency(lambda m, c=clf: c.predict_proba([m]), messages, args.repeats),
            "batch_messages_per_s": round(batch_rate),
        }

    # What the guard pays when all three share one featurisation per message.
    first = next(iter(classifiers.values()))

    def all_three(message: str) -> None:
        features = first.featurize([message])
        for clf in classifiers.values():
            if clf.window_chars and len(message) > clf.window_chars:
                clf.predict_proba([message])
            else:
                clf.predict_proba_features(features)

    report["all_three_shared_features"] = _latency(all_three, messages, args.repeats)
    report["all_three_separately"] = _latency(
        lambda m: [c.predict_proba([m]) for c in classifiers.values()], messages, args.repeats
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"machine: {report['machine']}, OMP_NUM_THREADS={report['omp_num_threads']}")
    print(f"messages: ~{report['message_chars']} characters, one per call")
    for name, r in report["models"].items():  # type: ignore[attr-defined]
        print(f"\n== {name}")
        for label, m in r["dev"].items():
            print(
                f"  {label:12s} dev {m['dev_positives']}/{m['dev_negatives']}  "
                f"AUPRC {m['auprc']}  F1 {m['f1']}  recall@1%FPR {m['recall_at_1pct_fpr']}"
            )
        if r["alpaca_benign"]:
            a = r["alpaca_benign"]
            print(
                f"  Alpaca benign (n={a['n']}): FPR {a['fpr_at_max_f1']} at max-F1 threshold, "
                f"{a['fpr_at_1pct_fpr_threshold']} at the 1%-FPR threshold"
            )
        lat = r["latency"]
        print(
            f"  latency p50 {lat['p50_ms']} ms  p99 {lat['p99_ms']} ms  "
            f"batch {r['batch_messages_per_s']} msg/s"
        )
    for key in ("all_three_shared_features", "all_three_separately"):
        lat = report[key]  # type: ignore[assignment]
        print(f"\n{key}: p50 {lat['p50_ms']} ms  p99 {lat['p99_ms']} ms")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    np.seterr(over="ignore")
    sys.exit(main())
