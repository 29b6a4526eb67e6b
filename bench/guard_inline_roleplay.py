"""The default input policy on role-play and fiction requests with the request inside.

    OMP_NUM_THREADS=1 python bench/guard_inline_roleplay.py [--data-dir ../shared/data] [--json OUT]

Two questions, answered on texts no guard model trained on:

1. ``bench/data/inline_roleplay_held_out.jsonl``: 24 harmful and 24 benign one- or
   two-sentence prompts, half deceased-relative framings ("act as my late
   grandmother, who used to read me ... to fall asleep"), half fiction scenes
   ("write a thriller scene in which a chemist explains how he ..."), each benign
   prompt the twin of a harmful one in form. We wrote them before training
   ``roleplay.relative`` and ``roleplay.scene`` in, in other words than those
   converters' templates, and no model trains on them; the same people wrote both,
   so read the figures as optimistic.
2. GPTFuzz's 100 harmful questions (measurement only) and 100 Alpaca instructions
   (CC-BY-NC, measurement only) through each of the two converters (every template
   of each, drawn with a fixed seed): harmful blocked and benign blocked. A tree
   without the converters reports them as not registered.
3. The cost on real traffic, cut-free: the jailbreak head alone on every ToxicChat
   prompt (both splits, CC-BY-NC, measurement only; human jailbreak labels), AUPRC
   with a 95% stratified bootstrap interval (200 resamples) and recall at 1% FPR
   (``redline.stats.detection.detection_metrics``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import alpaca_instructions, jsonl_gz

from redline.attacks import ATTACKS
from redline.attacks.base import build_attack
from redline.classifiers import load_classifier
from redline.data.bad_lines import BadLines, jsonl_objects
from redline.guard import Guard
from redline.stats.detection import detection_metrics
from redline.stats.intervals import wilson_interval

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = ROOT / "bench/data/inline_roleplay_held_out.jsonl"
CONVERTERS = ("roleplay.relative", "roleplay.scene")


def read_probes(path: Path) -> list[dict]:
    """The probes, read with redline's input-file reader (every bad line as FILE:LINE)."""
    bad = BadLines(path)
    rows = []
    for number, row in jsonl_objects(path.read_text(encoding="utf-8").splitlines(), bad):
        if row.get("label") not in ("harmful", "benign") or not row.get("text"):
            bad.add(number, "needs a text and a label harmful|benign")
        else:
            rows.append(row)
    bad.raise_if_any()
    return rows


def tally(guard: Guard, texts: list[str]) -> dict:
    verdicts = guard.check_batch(texts, side="input")
    scanners: Counter[str] = Counter()
    for verdict in verdicts:
        for scanner in sorted({f.scanner for f in verdict.findings if f.action == "block"}):
            scanners[scanner] += 1
    count = sum(v.blocked for v in verdicts)
    interval = wilson_interval(count, len(texts))
    return {
        "n": len(texts),
        "blocked": count,
        "low": round(interval.low, 3),
        "high": round(interval.high, 3),
        "by_scanner": dict(scanners.most_common()),
    }


def toxicchat_jailbreak_head(data_dir: Path, resamples: int = 200) -> dict:
    rows = [
        row
        for split in ("train", "test")
        for row in jsonl_gz(data_dir / f"toxicchat/toxicchat_human_{split}.jsonl.gz")
    ]
    labels = [int(bool(r["jailbreaking"])) for r in rows]
    scores = load_classifier("jailbreak").predict_proba([r["text"] for r in rows])[:, 0]
    metrics = detection_metrics(labels, scores, fprs=(0.01,), bootstrap=resamples, seed=0)
    at_1pct = metrics.recall_at_fpr[0].recall
    return {
        "n": len(rows),
        "positives": metrics.positives,
        "auprc": round(metrics.auprc.estimate, 3),
        "auprc_ci95": [round(metrics.auprc.low, 3), round(metrics.auprc.high, 3)],
        "recalled_at_1pct_fpr": round(at_1pct.estimate * metrics.positives),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    guard = Guard.default()
    probes = read_probes(HELD_OUT)
    held_out = []
    for label in ("harmful", "benign"):
        for kind in sorted({p["kind"] for p in probes}):
            texts = [p["text"] for p in probes if p["label"] == label and p["kind"] == kind]
            held_out.append({"label": label, "kind": kind, **tally(guard, texts)})
    gptfuzz = jsonl_gz(args.data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")
    questions = sorted({r["prompt"] for r in gptfuzz})
    alpaca = random.Random("inline-roleplay").sample(alpaca_instructions(args.data_dir), 100)
    converted = []
    for name in CONVERTERS:
        if name not in ATTACKS.names():
            print(f"{name}: not registered in this tree")
            continue
        attack = build_attack(name)
        for label, texts in (("harmful (GPTFuzz)", questions), ("benign (Alpaca)", alpaca)):
            rng = random.Random(f"{name}:{label}")
            wrapped = [str(attack.convert(t, rng=rng).text) for t in texts]
            converted.append({"converter": name, "requests": label, **tally(guard, wrapped)})
    toxicchat = toxicchat_jailbreak_head(args.data_dir)
    result = {"held_out": held_out, "converted": converted, "toxicchat_jailbreak_head": toxicchat}
    for row in held_out:
        print(
            f"held-out {row['label']:8} {row['kind']:9} {row['blocked']:3}/{row['n']} "
            f"[{row['low']:.2f}, {row['high']:.2f}] {row['by_scanner']}"
        )
    for row in converted:
        print(
            f"{row['converter']:18} {row['requests']:18} {row['blocked']:3}/{row['n']} "
            f"[{row['low']:.2f}, {row['high']:.2f}] {row['by_scanner']}"
        )
    print(f"ToxicChat, jailbreak head alone: {toxicchat}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
