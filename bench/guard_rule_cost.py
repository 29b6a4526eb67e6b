"""What the harm scanner's word rules (hazard and crime requests, recipes, sexual
content, threats and self-harm statements) cost per text, on benign prompts and on
the latency bench's messages.

    OMP_NUM_THREADS=1 taskset -c 1 python bench/guard_rule_cost.py [--data-dir ../shared/data]
        [--limit 2000] [--repeat 3] [--json OUT]

``HarmScanner.finds_rule_match`` is timed on each text, input side and output side
(requests are read on inputs only, recipes and sexual content on both), CPU
microseconds per text, the least of ``--repeat`` passes. Sets: ToxicChat's non-toxic
prompts and Alpaca instructions (CC-BY-NC, measurement only), CyberSecEval's benign
security prompts machine-translated into seven languages (MIT), their Thai ones alone
with the Thai segmenter's memory of runs cleared before each pass (and, printed first,
the wall time of loading the rules files and of the first Thai text, which imports the
segmenter), and the ~1,000-character
messages of ``bench/guard_latency.py``, half of them AdvBench behaviours, so attack
words that open the rules' first look are over-represented there. For a before
figure run it with ``PYTHONPATH`` at another checkout's ``src``, on the same core,
passes of the two alternating by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import jsonl_gz
from guard_latency import messages

from redline.detectors import word_rules
from redline.detectors.crime_requests import crime_rules
from redline.detectors.hazard_requests import hazard_rules
from redline.detectors.sexual_content import sexual_content_rules
from redline.guard.harm import HarmScanner
from redline.guard.scanner import Side

try:  # the statement rules (threats, self-harm); a tree before them has none
    from redline.detectors.harm_statements import RULES_FILES, statement_rules
except ImportError:
    RULES_FILES, statement_rules = {}, None  # type: ignore[assignment]

THAI = re.compile("[\u0e00-\u0e7f]")


def benign_sets(data: Path, limit: int) -> dict[str, list[str]]:
    toxicchat = [
        r["text"]
        for r in jsonl_gz(data / "toxicchat/toxicchat_human_test.jsonl.gz")
        if r["toxicity"] == 0
    ]
    alpaca = [r["instruction"] for r in json.loads((data / "benign/harmless_val.json").read_text())]
    translated = json.loads(
        (data / "cyberseceval/frr_multilingual_machine_translated.json").read_text()
    )
    return {
        "ToxicChat non-toxic (test)": random.Random(0).sample(
            toxicchat, min(limit, len(toxicchat))
        ),
        "Alpaca instructions": random.Random(0).sample(alpaca, min(limit, len(alpaca))),
        # Seven languages, Hindi and Thai among them: scripts with combining marks.
        "CyberSecEval FRR, 7 languages": [r["mutated_prompt"] for r in translated][:limit],
    }


def least_cpu_us(
    call: Callable[[str], object],
    texts: list[str],
    repeat: int,
    before_pass: Callable[[], object] = lambda: None,
) -> float:
    """CPU microseconds per text of ``call`` over ``texts``, the least of ``repeat``
    passes (``before_pass`` runs, untimed, before each)."""
    best = float("inf")
    for _ in range(repeat):
        before_pass()
        start = time.process_time()
        for text in texts:
            call(text)
        best = min(best, time.process_time() - start)
    return best / len(texts) * 1e6


def cpu_us(
    scanner: HarmScanner,
    texts: list[str],
    side: Side,
    repeat: int,
    before_pass: Callable[[], object] = lambda: None,
) -> float:
    return least_cpu_us(
        lambda text: scanner.finds_rule_match(text, side), texts, repeat, before_pass
    )


# The Thai segmenter remembers the runs it has cut (``word_rules.thai_words``); a tree
# without it has nothing to forget.
_forget_thai = getattr(getattr(word_rules, "thai_words", None), "cache_clear", lambda: None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--limit", type=int, default=2000, help="texts a benign set at most")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (least)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found")
    if args.limit < 1 or args.repeat < 1:
        sys.exit("--limit and --repeat must be at least 1")
    sets = {
        "latency messages (1,000 characters)": messages(1000, 1000, seed=0),
        **benign_sets(args.data_dir, args.limit),
    }
    thai = [t for t in sets["CyberSecEval FRR, 7 languages"] if THAI.search(t)]
    # Thai as a service meets it: each run cut for the first time.
    sets["CyberSecEval FRR, Thai only, first reading"] = thai
    started = time.perf_counter()
    crime_rules(), hazard_rules(), sexual_content_rules()
    for kind in RULES_FILES:
        statement_rules(kind)
    print(f"rules files loaded: {time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    word_rules.folded_words("ทดสอบ")  # the first Thai text imports the segmenter
    first_thai_s = time.perf_counter() - started
    print(f"first Thai text read: {first_thai_s:.2f} s (the Thai segmenter's import)\n")
    scanner = HarmScanner()
    rows: list[dict[str, Any]] = []
    print("| texts | n | input µs per text | output µs per text | input texts matched |")
    print("|---|---|---|---|---|")
    for name, texts in sets.items():
        scanner.finds_rule_match(texts[0], "input")  # the rules load on first use
        forget = _forget_thai if name.endswith("first reading") else lambda: None
        row = {
            "set": name,
            "n": len(texts),
            "input_us": round(cpu_us(scanner, texts, "input", args.repeat, forget), 1),
            "output_us": round(cpu_us(scanner, texts, "output", args.repeat, forget), 1),
            "input_matched": sum(scanner.finds_rule_match(t, "input") for t in texts),
        }
        rows.append(row)
        print(
            f"| {name} | {row['n']:,} | {row['input_us']} | {row['output_us']} | "
            f"{row['input_matched']} |"
        )
    if args.json:
        out = {"first_thai_text_s": round(first_thai_s, 3), "sets": rows}
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
