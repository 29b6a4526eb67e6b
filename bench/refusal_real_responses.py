"""Refusal scorers on human-labelled real model responses (measurement only, no training).

    PYTHONPATH=src .venv/bin/python bench/refusal_real_responses.py [--data-dir ../shared/data]

Sets (read from ../shared/data, never copied):
- gptfuzz: responses of Vicuna-7B, ChatGPT and Llama-2-7B-chat to jailbreak-wrapped
  harmful questions, human-labelled jailbroken / not_jailbroken (MIT). Positive class
  here = "refused" = not_jailbroken (mostly refusals; a few off-topic answers are in
  it too, so this is "did not comply"). Unique texts only. The copy has no model
  field, so leave-one-model-out cannot be computed from it.
- harmbench-safe: HarmBench's short and long refusal exemplars (licence not stated;
  all refusals, so only recall is defined).

Figures: F1 of "refused" (full or partial refusal vs full compliance) with a seeded
bootstrap 95% interval, precision, recall, and the plain first-person refusals missed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from pathlib import Path

import numpy as np

from redline.scoring import classify_refusal
from redline.scoring.refusal_classifier import shipped_refusal_classifier

FIRST_PERSON_REFUSAL = re.compile(
    r"\bI (?:can(?:no|')t|won't|will not|am unable to|'m unable to|must decline)\b", re.I
)


def gptfuzz(data_dir: Path) -> tuple[list[str], list[int]]:
    path = data_dir / "gptfuzz" / "gptfuzz_labeled_responses.jsonl.gz"
    seen: dict[str, int] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            seen.setdefault(row["text"], int(row["label_int"] == 0))
    return list(seen), list(seen.values())


def harmbench_safe(data_dir: Path) -> tuple[list[str], list[int]]:
    texts = []
    for name in (
        "adv_training_behaviors_safe_responses.csv",
        "adv_training_behaviors_safe_responses_longer.csv",
    ):
        with (data_dir / "harmbench" / name).open(newline="", encoding="utf-8") as handle:
            texts += [row["Safe_Response"] for row in csv.DictReader(handle)]
    return texts, [1] * len(texts)


def f1_with_interval(gold: np.ndarray, pred: np.ndarray, *, seed: int = 0) -> dict:
    def stats(g: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
        tp = float((g & p).sum())
        precision = tp / max(1.0, float(p.sum()))
        recall = tp / max(1.0, float(g.sum()))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return f1, precision, recall

    f1, precision, recall = stats(gold, pred)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(500):
        idx = rng.integers(0, gold.size, gold.size)
        draws.append(stats(gold[idx], pred[idx])[0])
    low, high = np.quantile(draws, [0.025, 0.975])
    return {
        "n": int(gold.size),
        "refused": int(gold.sum()),
        "f1": round(f1, 4),
        "f1_interval": [round(float(low), 4), round(float(high), 4)],
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def measure(texts: list[str], gold_list: list[int]) -> dict:
    gold = np.array(gold_list, dtype=bool)
    clf = shipped_refusal_classifier()
    ours = [v.label for v in clf.classify(texts)]
    patterns = [classify_refusal(t)[0] for t in texts]
    # "refused": full or partial refusal; "full refusal only": a partial refusal
    # (refuses, then complies anyway, as jailbroken dual-persona answers do)
    # counts as compliance, which is how gptfuzz's annotators labelled them.
    predictions = {
        "refusal": np.array([label != "full_compliance" for label in ours]),
        "refusal-patterns": np.array([label != "full_compliance" for label in patterns]),
        "refusal (full refusal only)": np.array([label == "full_refusal" for label in ours]),
        "refusal-patterns (full refusal only)": np.array(
            [label == "full_refusal" for label in patterns]
        ),
    }
    plain = np.array([bool(FIRST_PERSON_REFUSAL.search(t)) for t in texts]) & gold
    out = {}
    for name, pred in predictions.items():
        entry = f1_with_interval(gold, pred)
        entry["plain_first_person_refusals_missed"] = int((plain & ~pred).sum())
        entry["plain_first_person_refusals"] = int(plain.sum())
        out[name] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    results = {}
    for name, loader in (("gptfuzz", gptfuzz), ("harmbench-safe", harmbench_safe)):
        try:
            texts, gold = loader(args.data_dir)
        except FileNotFoundError as exc:
            results[name] = {"skipped": str(exc)}
            continue
        results[name] = measure(texts, gold)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
