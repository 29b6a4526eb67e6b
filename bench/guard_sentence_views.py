"""Would scoring each sentence help the harm scanner with requests diluted by a long
prompt layout? Measured, not built.

    OMP_NUM_THREADS=1 python bench/guard_sentence_views.py [--data-dir ../shared/data]
        [--json OUT]

The harm scanner scores the whole text (and its decoded views). A harmful question
inside a long app layout is blocked less often than asked plainly
(``bench/guard_app_layouts.py``). This bench scores every sentence (split at ". ",
"? ", "! ", ": " and line breaks; three words or more; texts of two sentences or
more, the first 40) with the shipped harm scanner, on its production scale (0.5 =
the input cut-off), and combines the scores four ways:

- ``whole``: the shipped score;
- ``max``: the higher of the whole text's and its best sentence's;
- ``max, <= 4 sentences``: ``max`` for texts of at most four sentences, else ``whole``;
- ``mean``: the mean of ``whole`` and ``max``.

Each rule gets its own cut: the one that flags the same share of a pooled benign mix
(Alpaca, CyberSecEval FRR, awesome-prompts, fabric-patterns, long BIPIA tables, GSM8K
answers, ToxicChat *train* non-toxic) as ``whole`` does at 0.5. Reported: ToxicChat
test AUPRC (toxic vs non-toxic) and the share flagged of each set at that cut.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from guard_app_layouts import fill, in_layouts, layout_texts
from guard_failure_cases import (
    alpaca_instructions,
    gsm8k_answers,
    jsonl_gz,
    long_bipia_tables,
    sample,
)
from sklearn.metrics import average_precision_score

from redline.guard.harm import HarmScanner
from redline.guard.scanner import ScanContext

_SENTENCE_END = re.compile(r"(?<=[.?!:])\s+|\n+")
MIN_WORDS, MAX_SENTENCES, FEW_SENTENCES = 3, 40, 4
MIX = (
    "alpaca",
    "cyberseceval-frr",
    "awesome-prompts",
    "fabric-patterns",
    "long tables",
    "gsm8k answers",
    "toxicchat train non-toxic",
)
Rule = Callable[[float, list[float]], float]
RULES: dict[str, Rule] = {
    "whole": lambda whole, parts: whole,
    "max": lambda whole, parts: max([whole, *parts]),
    "max, <= 4 sentences": lambda whole, parts: (
        max([whole, *parts]) if len(parts) <= FEW_SENTENCES else whole
    ),
    "mean": lambda whole, parts: (whole + max([whole, *parts])) / 2,
}


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.split()) >= MIN_WORDS]
    return parts[:MAX_SENTENCES] if len(parts) >= 2 else []


def text_sets(data_dir: Path) -> dict[str, list[str]]:
    toxicchat = {
        split: jsonl_gz(data_dir / f"toxicchat/toxicchat_human_{split}.jsonl.gz")
        for split in ("train", "test")
    }
    alpaca = alpaca_instructions(data_dir)
    gsm8k = gsm8k_answers(data_dir)
    questions = sorted(
        {r["prompt"] for r in jsonl_gz(data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")}
    )
    _trained, held_out = layout_texts()
    return {
        "toxicchat train non-toxic": [r["text"] for r in toxicchat["train"] if r["toxicity"] == 0],
        "toxicchat test non-toxic": [r["text"] for r in toxicchat["test"] if r["toxicity"] == 0],
        "toxicchat test toxic": [r["text"] for r in toxicchat["test"] if r["toxicity"] == 1],
        "alpaca": sample(alpaca, 1000),
        "cyberseceval-frr": [
            r["mutated_prompt"]
            for r in json.loads((data_dir / "cyberseceval/mitre_frr.json").read_text())
        ],
        "awesome-prompts": sample(
            [
                r["text"]
                for r in jsonl_gz(data_dir / "awesome-prompts/awesome_chatgpt_prompts.jsonl.gz")
            ],
            500,
        ),
        "fabric-patterns": [
            r["text"] for r in jsonl_gz(data_dir / "fabric-patterns/fabric_system_prompts.jsonl.gz")
        ],
        "long tables": [text for _, text in long_bipia_tables(data_dir, 1000)],
        "gsm8k answers": sample(gsm8k, 500),
        "alpaca in held-out layouts": in_layouts(held_out, alpaca, 50),
        "gptfuzz questions": questions,
        "gptfuzz in held-out layouts": [fill(layout, q) for layout in held_out for q in questions],
    }


def harm_scores(scanner: HarmScanner, texts: list[str]) -> np.ndarray:
    results = scanner.scan_many(texts, [ScanContext(side="input")] * len(texts))
    return np.array([r.scores["harm"] for r in results])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.data_dir / "toxicchat").is_dir():
        parser.error(f"{args.data_dir} holds no toxicchat/ folder: pass --data-dir ../shared/data")
    scanner = HarmScanner()
    combined: dict[str, dict[str, np.ndarray]] = {rule: {} for rule in RULES}
    for name, texts in text_sets(args.data_dir).items():
        whole = harm_scores(scanner, texts)
        split = [sentences(t) for t in texts]
        flat = harm_scores(scanner, [s for parts in split for s in parts]) if any(split) else []
        start = 0
        per_text = []
        for parts in split:
            per_text.append([float(x) for x in flat[start : start + len(parts)]])
            start += len(parts)
        for rule, combine in RULES.items():
            combined[rule][name] = np.array(
                [combine(float(w), p) for w, p in zip(whole, per_text, strict=True)]
            )
    target = float(np.concatenate([combined["whole"][k] for k in MIX]).__ge__(0.5).mean())
    out = {"mix_rate_at_whole_cut": round(target, 4), "rules": {}}
    for rule, scores in combined.items():
        mix = np.concatenate([scores[k] for k in MIX])
        cut = 0.5 if rule == "whole" else float(np.quantile(mix, 1 - target))
        y = np.r_[
            np.ones(len(scores["toxicchat test toxic"])),
            np.zeros(len(scores["toxicchat test non-toxic"])),
        ]
        s = np.r_[scores["toxicchat test toxic"], scores["toxicchat test non-toxic"]]
        out["rules"][rule] = {
            "cut": round(cut, 4),
            "toxicchat_test_auprc": round(float(average_precision_score(y, s)), 4),
            "flagged": {k: round(float((v >= cut).mean()), 4) for k, v in scores.items()},
        }
    names = list(next(iter(out["rules"].values()))["flagged"])
    print(f"benign mix flagged by `whole` at 0.5: {100 * target:.2f}%")
    print(
        "| set | " + " | ".join(f"{r} (cut {v['cut']:.3f})" for r, v in out["rules"].items()) + " |"
    )
    print("|---|" + "---|" * len(RULES))
    print(
        "| ToxicChat test AUPRC | "
        + " | ".join(f"{v['toxicchat_test_auprc']:.3f}" for v in out["rules"].values())
        + " |"
    )
    for name in names:
        cells = [f"{100 * v['flagged'][name]:.1f}%" for v in out["rules"].values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
