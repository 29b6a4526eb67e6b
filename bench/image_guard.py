"""The guard's OCR + text pipeline on text rendered into images.

Texts from ../shared/data (harmful: AdvBench goals; injection: Giskard prompt
injections and InjecAgent tool outputs carrying attacker instructions; benign:
self-instruct seed tasks and BIPIA e-mail contexts, as documents/screenshots)
are drawn with redline's image renderer in several styles (font, size,
contrast, rotation, noise), read back with RapidOCR on one thread, and checked
by the default guard policy. The same texts unrendered give the baseline.

Prints one Markdown table (caught = the guard did not allow; for benign texts
that is the false-positive rate), OCR character similarity, and OCR latency
per image; ``--json`` writes every figure.

    .venv/bin/python bench/image_guard.py --per-set 15
"""

from __future__ import annotations

import argparse
import csv
import difflib
import gzip
import json
import os
import random
import statistics
import time
from pathlib import Path

from redline.attacks.converters.image_render import TextStyle, png_part, render_text
from redline.guard import Guard
from redline.guard.images import ImageScanner, image_text_verdict

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MAX_CHARS = 400  # long prompts are cut: a chat screenshot, not a scanned book

VARIANTS: dict[str, TextStyle] = {
    "clean 22px": TextStyle(size=22, width_chars=60),
    "serif 14px": TextStyle(font="serif", size=14, width_chars=80),
    "mono 18px": TextStyle(font="mono", size=18, width_chars=60),
    "contrast 0.35": TextStyle(size=22, width_chars=60, contrast=0.35),
    "rotated 8deg": TextStyle(size=22, width_chars=60, rotation=8),
    "noise sd 40": TextStyle(size=22, width_chars=60, noise=40),
}


def sample(rows: list[str], count: int, rng: random.Random) -> list[str]:
    rows = sorted({" ".join(r.split())[:MAX_CHARS] for r in rows if r.strip()})
    return rng.sample(rows, min(count, len(rows)))


def load_sets(per_set: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with (DATA / "advbench" / "advbench.csv").open(encoding="utf-8") as handle:
        harmful = [row["goal"] for row in csv.DictReader(handle)]
    with (DATA / "giskard" / "prompt_injections.csv").open(encoding="utf-8") as handle:
        giskard = [row["prompt"] for row in csv.DictReader(handle)]
    with gzip.open(DATA / "injecagent" / "injecagent_test_cases.jsonl.gz", "rt") as handle:
        injecagent = [json.loads(line)["text"] for line in handle]
    with (DATA / "benign" / "self_instruct_seed_tasks.jsonl").open(encoding="utf-8") as handle:
        tasks = [json.loads(line)["instruction"] for line in handle]
    with (DATA / "bipia" / "email" / "train.jsonl").open(encoding="utf-8") as handle:
        emails = [json.loads(line)["context"] for line in handle]
    half = per_set // 2
    return {
        "harmful": sample(harmful, per_set, rng),
        "injection": sample(giskard, half, rng) + sample(injecagent, per_set - half, rng),
        "benign": sample(tasks, half, rng) + sample(emails, per_set - half, rng),
    }


def similarity(source: str, read: str) -> float:
    return difflib.SequenceMatcher(None, " ".join(source.split()), " ".join(read.split())).ratio()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-set", type=int, default=15, help="texts per set (3 sets)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()

    guard = Guard.default()
    scanner = ImageScanner()
    sets = load_sets(args.per_set, args.seed)
    results: dict[str, dict[str, dict[str, float]]] = {}
    latencies: dict[str, list[float]] = {name: [] for name in VARIANTS}
    pixels: dict[str, list[int]] = {name: [] for name in VARIANTS}
    started = time.perf_counter()
    for set_name, texts in sets.items():
        plain = [guard.check_input(t).action != "allow" for t in texts]
        results[set_name] = {"unrendered": {"caught": sum(plain) / len(texts), "n": len(texts)}}
        for variant, style in VARIANTS.items():
            caught, similar = 0, []
            for index, text in enumerate(texts):
                part = png_part(render_text(text, style, seed=index))
                found = scanner.read(part)
                latencies[variant].append(found.ocr_ms)
                pixels[variant].append(found.width * found.height)
                similar.append(similarity(text, found.text))
                verdict = image_text_verdict(guard, [found], side="input")
                caught += verdict is not None and verdict.action != "allow"
            results[set_name][variant] = {
                "caught": caught / len(texts),
                "ocr_similarity": statistics.mean(similar),
                "n": len(texts),
            }
        print(f"{set_name}: done ({time.perf_counter() - started:.0f} s)", flush=True)

    print("\n| set | unrendered | " + " | ".join(VARIANTS) + " |")
    print("|---|---|" + "---|" * len(VARIANTS))
    for set_name, row in results.items():
        cells = [f"{row['unrendered']['caught']:.2f}"] + [
            f"{row[v]['caught']:.2f} ({row[v]['ocr_similarity']:.2f})" for v in VARIANTS
        ]
        print(f"| {set_name} (n={row['unrendered']['n']}) | " + " | ".join(cells) + " |")
    print("\n| variant | median px | OCR ms median | OCR ms p90 |")
    print("|---|---|---|---|")
    for variant, values in latencies.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"| {variant} | {statistics.median(pixels[variant]):.0f} | "
            f"{statistics.median(values):.0f} | {p90:.0f} |"
        )
    load = os.getloadavg()[0]
    print(f"\nwall {time.perf_counter() - started:.0f} s, load average {load:.1f}")
    if args.json:
        payload = {"results": results, "ocr_ms": latencies, "pixels": pixels, "load": load}
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
