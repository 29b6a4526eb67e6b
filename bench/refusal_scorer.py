"""Refusal scorer quality: the trained classifier vs string matching, on labelled sets.

    .venv/bin/python bench/refusal_scorer.py [--data-dir ../shared/data]

Sets: the shipped dev set (src/redline/classifiers/artifacts/refusal/dev.jsonl: SmolLM2
responses labelled by reading + written responses from held-out templates), and,
when ../shared/data is present, HarmBench's refusal exemplars (all full refusals;
licence not stated, so measured here and never trained on).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from redline.classifiers import artifacts_dir
from redline.classifiers.refusal_training import read_dev_set, response_metrics
from redline.scoring import classify_refusal
from redline.scoring.refusal_classifier import shipped_refusal_classifier


def measure(name: str, texts: list[str], gold: list[str]) -> dict:
    clf = shipped_refusal_classifier()
    ours = response_metrics(gold, [v.label for v in clf.classify(texts)])
    base = response_metrics(gold, [classify_refusal(t)[0] for t in texts])
    return {"set": name, "classifier": ours, "refusal-patterns": base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    rows = read_dev_set(artifacts_dir() / "refusal" / "dev.jsonl")
    results = [measure("dev", [r["response"] for r in rows], [r["label"] for r in rows])]
    for source in sorted({r["source"].split(" ")[0] for r in rows}):
        part = [r for r in rows if r["source"].startswith(source)]
        results.append(
            measure(f"dev:{source}", [r["response"] for r in part], [r["label"] for r in part])
        )
    harmbench = sorted((args.data_dir / "harmbench").glob("adv_training_behaviors_safe_responses*"))
    texts = []
    for path in harmbench:
        with path.open(newline="", encoding="utf-8") as handle:
            texts += [row["Safe_Response"] for row in csv.DictReader(handle)]
    if texts:
        results.append(measure("harmbench-safe-responses", texts, ["full_refusal"] * len(texts)))
    print(f"{'set':32} {'n':>4}  {'scorer':17} {'accuracy':>8} {'macro-F1':>8} {'refused-F1':>10}")
    for r in results:
        for scorer in ("classifier", "refusal-patterns"):
            m = r[scorer]
            print(
                f"{r['set']:32} {m['n']:>4}  {scorer:17} {m['accuracy']:>8.3f} "
                f"{m['macro_f1']:>8.3f} {m['refused_f1']:>10.3f}"
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
