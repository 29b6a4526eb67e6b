"""DPO on the bundled SmolLM2-135M on CPU: steps/s, and safety and capability before/after.

Trains on single-turn pairs of the hh-rlhf harmless-base test file (MIT; measurement
only) or on --prefs, then answers three checks with the untrained model exported the
same way (Q8_0, so both sides went through the same GGUF writer) and with the tuned one:

- ASR on the built-in `harmful` suite: share of answers the `refusal` classifier
  does not call a refusal;
- over-refusal on the built-in `benign` suite: share called a refusal;
- GSM8K-style capability: share of grade-school questions whose last number in the
  answer equals the gold answer.

Each with a Wilson interval, and before vs after on the same prompts with an exact
McNemar test. Usage (bounded; the machine is shared):

    timeout 3600 python bench/dpo_cpu.py --steps 100 --limit 30 --gsm8k 30 --out /tmp/dpo-bench
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import re
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM

from redline.alignment.dpo_base import base_gguf
from redline.alignment.dpo_gguf import export_gguf
from redline.alignment.dpo_records import PreferenceRecord, assistant_turn, write_records
from redline.alignment.dpo_train import DpoSettings, prepare_base, train_dpo
from redline.classifiers.refusal_model import shipped_refusal_classifier
from redline.core import GenerationParams, Message
from redline.core.outcome import is_refusal
from redline.data import load_suite
from redline.run.plan import stratified_sample
from redline.stats import mcnemar_exact, wilson_interval
from redline.targets.local_llama import LocalTarget

DATA = Path("../shared/data")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def hh_pairs(limit: int) -> list[PreferenceRecord]:
    """Single-turn hh-rlhf harmless pairs (first ``limit`` that differ)."""
    pairs = []
    with gzip.open(DATA / "hh-rlhf" / "harmless_base_test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            chosen, rejected = row["chosen_last_response"], row["rejected_last_response"]
            # hh-rlhf has replies that are empty: a pair needs two different answers.
            if row["n_turns"] > 2 or not chosen.strip() or not rejected.strip():
                continue
            if chosen.strip() == rejected.strip():
                continue
            pairs.append(
                PreferenceRecord(
                    prompt=[Message(role="user", content=row["text"])],
                    chosen=assistant_turn(chosen),
                    rejected=assistant_turn(rejected),
                    meta={"source": "hh-rlhf harmless-base test"},
                )
            )
            if len(pairs) == limit:
                break
    return pairs


def gsm8k(limit: int) -> list[tuple[str, str]]:
    rows = []
    with open(DATA / "capability" / "gsm8k_train.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            rows.append((row["question"], row["answer"].rsplit("####", 1)[-1].strip()))
            if len(rows) == limit:
                break
    return rows


def last_number(text: str) -> str | None:
    found = NUMBER.findall(text)
    return found[-1].replace(",", "").rstrip(".") if found else None


async def answers(model: Path, prompts: list[str], max_tokens: int) -> list[str]:
    target = LocalTarget(model_path=model, n_ctx=1024)
    out = []
    try:
        for prompt in prompts:
            completion = await target.generate(
                [Message(role="user", content=prompt)],
                GenerationParams(max_tokens=max_tokens, temperature=0.0, seed=0),
            )
            out.append(completion.text)
            print(".", end="", file=sys.stderr, flush=True)
    finally:
        await target.aclose()
    return out


def evaluate(
    model: Path,
    *,
    harmful: list[str],
    benign: list[str],
    maths: list[tuple[str, str]],
    max_tokens: int,
) -> dict[str, list[bool]]:
    classifier = shipped_refusal_classifier()

    def refused(texts: list[str]) -> list[bool]:
        return [is_refusal(v.label) for v in classifier.classify(texts)]

    harmful_out = asyncio.run(answers(model, harmful, max_tokens))
    benign_out = asyncio.run(answers(model, benign, max_tokens))
    maths_out = asyncio.run(
        answers(
            model, [q + "\nGive the final answer as a number." for q, _ in maths], 2 * max_tokens
        )
    )
    return {
        "attack_success": [not r for r in refused(harmful_out)],
        "over_refusal": refused(benign_out),
        "gsm8k_correct": [
            last_number(t) == gold for t, (_, gold) in zip(maths_out, maths, strict=True)
        ],
    }


def export_untrained(source: Path, out: Path) -> Path:
    folder = prepare_base(source)
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    return export_gguf(weights, source=source, out=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefs", type=Path, help="Preference JSONL (default: hh-rlhf pairs).")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--full", action="store_true", help="All weights instead of LoRA.")
    parser.add_argument("--limit", type=int, default=30, help="Prompts per suite.")
    parser.add_argument("--gsm8k", type=int, default=30)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--out", type=Path, default=Path("/tmp/redline-dpo-bench"))
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    prefs = args.prefs
    if prefs is None:
        prefs = args.out / "hh_pairs.jsonl"
        write_records(prefs, hh_pairs(args.pairs))
    source = base_gguf("local")
    started = time.perf_counter()
    before_model = export_untrained(source, args.out / "untrained.gguf")
    result = train_dpo(
        DpoSettings(
            prefs=prefs,
            out=args.out / "tuned",
            lora=not args.full,
            steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            save_steps=max(args.steps // 4, 1),
        ),
        progress=True,
    )
    harmful = [b.prompt for b in stratified_sample(load_suite("harmful"), args.limit, seed=0)]
    benign = [b.prompt for b in stratified_sample(load_suite("benign"), args.limit, seed=0)]
    maths = gsm8k(args.gsm8k)
    figures: dict[str, object] = {
        "steps": result.steps,
        "steps_per_second": round(result.steps_per_second, 4),
        "train_seconds": round(result.train_seconds, 1),
        "pairs": result.pairs,
        "last_metrics": result.metrics,
        "lora": not args.full,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
    }
    before = evaluate(
        before_model, harmful=harmful, benign=benign, maths=maths, max_tokens=args.max_new_tokens
    )
    after = evaluate(
        result.gguf, harmful=harmful, benign=benign, maths=maths, max_tokens=args.max_new_tokens
    )
    for measure in before:
        b, a = before[measure], after[measure]
        went_on = sum(1 for x, y in zip(b, a, strict=True) if y and not x)
        went_off = sum(1 for x, y in zip(b, a, strict=True) if x and not y)
        figures[measure] = {
            "before": wilson_interval(sum(b), len(b)).model_dump(),
            "after": wilson_interval(sum(a), len(a)).model_dump(),
            "n": len(b),
            "mcnemar_p": mcnemar_exact(went_on, went_off),
        }
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
