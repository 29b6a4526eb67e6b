"""How often the guard's decoded views fire, and what they cost, on benign public
texts and on disguised harmful questions.

    OMP_NUM_THREADS=1 taskset -c 1 python bench/guard_decoded_views.py
        [--data-dir ../shared/data] [--limit 2000] [--repeat 3]
        [--baseline OTHER/src/redline/guard/decoded_views.py] [--json OUT]

``decoded_views`` (redline.guard.decoded_views) is called on each text as the harm
scanner calls it. Rows: the share of texts that get at least one view and the CPU
microseconds per call (the least of ``--repeat`` passes), for benign sets (Alpaca
instructions, ToxicChat non-toxic prompts, BIPIA tables and e-mails, GSM8K answers,
CyberSecEval's machine-translated FRR prompts) and for the 100 GPTFuzz harmful
questions under each converter the views target (one seeded draw per question, as
``bench/guard_failure_cases.py`` draws them), and the messages
``bench/guard_latency.py`` times. ``--baseline`` times another checkout's
``decoded_views`` in the same process, its passes alternating with this tree's
(on a shared core, two processes minutes apart do not compare).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redline.attacks.converters  # noqa: F401
from redline.attacks.base import build_attack
from redline.guard.decoded_views import decoded_views

CONVERTERS = ("augment.scramble", "augment.noise", "best_of_n", "scramble", "homoglyphs",
              "hex", "binary", "decompose.assembly", "morse")  # fmt: skip


def jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def contexts(path: Path) -> list[str]:
    rows = [json.loads(x)["context"] for x in path.read_text().splitlines() if x.strip()]
    return ["\n".join(c) if isinstance(c, list) else c for c in rows]


def benign_sets(d: Path, limit: int) -> dict[str, list[str]]:
    tc = jsonl_gz(d / "toxicchat/toxicchat_human_test.jsonl.gz")
    frr = json.loads((d / "cyberseceval/frr_multilingual_machine_translated.json").read_text())
    sets = {
        "alpaca": [
            r["instruction"] for r in json.loads((d / "benign/harmless_val.json").read_text())
        ],
        "toxicchat_nontoxic": [r["text"] for r in tc if r["toxicity"] == 0],
        "bipia_tables": contexts(d / "bipia/table/train.jsonl"),
        "bipia_email": contexts(d / "bipia/email/train.jsonl"),
        "gsm8k_answers": [
            json.loads(x)["answer"]
            for x in (d / "capability/gsm8k_train.jsonl").read_text().splitlines()
        ],
        "frr_multilingual": [r["mutated_prompt"] for r in frr],
    }
    return {k: random.Random(0).sample(v, min(limit, len(v))) for k, v in sets.items()}


def latency_messages() -> list[str]:
    """The messages bench/guard_latency.py times (about 1,000 characters each)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from guard_latency import messages  # a sibling script, not a package

    return messages(1000, 1000, seed=0)


def load_baseline(path: Path) -> Callable[[str], list[str]]:
    """``decoded_views`` of another checkout's ``decoded_views.py`` (for a before
    figure timed in this process, pass for pass with this tree's)."""
    spec = importlib.util.spec_from_file_location("baseline_decoded_views", path)
    if spec is None or spec.loader is None:
        sys.exit(f"{path}: cannot load")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.decoded_views


def cpu_us(function: Callable[[str], list[str]], texts: list[str]) -> float:
    start = time.process_time()
    for text in texts:
        function(text)
    return (time.process_time() - start) / max(1, len(texts)) * 1e6


def measure(
    texts: list[str], repeat: int, baseline: Callable[[str], list[str]] | None = None
) -> dict:
    """Views found, and CPU time per call: the least of ``repeat`` passes (other jobs
    on a shared core only ever add time); with a baseline, its passes alternate
    with this tree's."""
    with_views = [text for text in texts if decoded_views(text)]
    best = baseline_best = float("inf")
    for _ in range(repeat):
        best = min(best, cpu_us(decoded_views, texts))
        if baseline is not None:
            baseline_best = min(baseline_best, cpu_us(baseline, texts))
    row = {
        "n": len(texts),
        "with_views": len(with_views),
        "share": round(len(with_views) / max(1, len(texts)), 4),
        "us_per_text": round(best, 1),
        "mean_chars": round(sum(map(len, texts)) / max(1, len(texts))),
        "examples": [text[:120] for text in with_views[:3]],
    }
    if baseline is not None:
        row["baseline_with_views"] = sum(bool(baseline(text)) for text in texts)
        row["baseline_us_per_text"] = round(baseline_best, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=2000, help="texts per benign set at most")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per set (least)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout's src/redline/guard/decoded_views.py, timed alongside",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found")
    decoded_views("warm up: the vocabulary and indexes load on first use")
    baseline = load_baseline(args.baseline) if args.baseline else None
    out: dict = {"benign": {}, "disguised": {}}
    sets = {"latency_messages_1k": latency_messages(), **benign_sets(args.data_dir, args.limit)}
    for name, texts in sets.items():
        out["benign"][name] = measure(texts, args.repeat, baseline)
    gf = jsonl_gz(args.data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")
    questions = sorted({r["prompt"] for r in gf})
    out["disguised"]["plain"] = measure(questions, args.repeat, baseline)
    for name in CONVERTERS:
        attack = build_attack(name)
        rng = random.Random(f"gptfuzz:{name}")
        disguised = [attack.convert(q, rng=rng).text or "" for q in questions]
        out["disguised"][name] = measure(disguised, args.repeat, baseline)
    lines = [
        "| texts | n | mean chars | with a view (baseline) | CPU us per text (baseline) |",
        "|---|---|---|---|---|",
    ]
    for group, rows in out.items():
        for name, row in rows.items():
            views = f"{row['with_views']} ({row['share']:.1%})"
            cost = f"{row['us_per_text']}"
            if baseline is not None:
                views += f" ({row['baseline_with_views']})"
                cost += f" ({row['baseline_us_per_text']})"
            lines.append(
                f"| {group}: {name} | {row['n']} | {row['mean_chars']} | {views} | {cost} |"
            )
    print("\n".join(lines), file=sys.stderr)
    text = json.dumps(out, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
