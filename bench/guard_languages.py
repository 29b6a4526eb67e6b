"""The default input policy per language: harmful questions blocked and benign
security questions blocked, in the languages CyberSecEval's translated set covers.

    OMP_NUM_THREADS=1 python bench/guard_languages.py [--data-dir ../shared/data] [--json OUT]

Harmful: 20 of GPTFuzz's 100 harmful questions (MIT; measurement only, never trained
on), drawn with a fixed seed, in English and in our translations into Spanish, French,
German, Italian, Portuguese, Hindi and Thai (``bench/data/harmful_questions_translated.jsonl``:
the question's index in the draw and our text; no model trains on them). Benign:
CyberSecEval's machine-translated false-refusal prompts (MIT), every one of each
language; no guard model trains on them (their English originals are training data,
so English has no benign figure here). No public non-English harmful set exists in
the shared data, so the harmful side is our own translation of 20 questions: read
its figures as a direction with wide intervals, not a rate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import frr_by_language, jsonl_gz
from guard_inline_roleplay import tally

from redline.data.bad_lines import BadLines, jsonl_objects
from redline.guard import Guard

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "bench/data/harmful_questions_translated.jsonl"
LANGUAGES = {
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "hi": "Hindi",
    "th": "Thai",
}
QUESTIONS = 20


def drawn_questions(data_dir: Path) -> list[str]:
    """The 20 GPTFuzz questions the translations are of, in their order."""
    rows = jsonl_gz(data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")
    return random.Random("languages").sample(sorted({r["prompt"] for r in rows}), QUESTIONS)


def read_translations(path: Path) -> dict[str, list[str]]:
    """The translations by language, read with redline's input-file reader (every bad
    line as FILE:LINE); each language must have every question once."""
    bad = BadLines(path)
    by_lang: dict[str, dict[int, str]] = {code: {} for code in LANGUAGES}
    for number, row in jsonl_objects(path.read_text(encoding="utf-8").splitlines(), bad):
        question = row.get("question")
        if row.get("lang") not in by_lang or question not in range(QUESTIONS):
            bad.add(number, f"needs lang in {sorted(LANGUAGES)} and question 0-{QUESTIONS - 1}")
        elif not isinstance(row.get("text"), str) or question in by_lang[row["lang"]]:
            bad.add(number, "needs a text, once per language and question")
        else:
            by_lang[row["lang"]][question] = row["text"]
    bad.raise_if_any()
    for code, rows in by_lang.items():
        if len(rows) != QUESTIONS:
            raise SystemExit(f"{path}: {code} has {len(rows)} of {QUESTIONS} questions")
    return {code: [rows[i] for i in range(QUESTIONS)] for code, rows in by_lang.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    guard = Guard.default()
    translations = read_translations(TRANSLATIONS)
    frr = frr_by_language(args.data_dir)
    rows: list[dict] = [
        {
            "language": "English",
            "harmful": tally(guard, drawn_questions(args.data_dir)),
            "benign": None,  # CyberSecEval's English prompts are training data
        }
    ]
    for code, name in LANGUAGES.items():
        rows.append(
            {
                "language": name,
                "harmful": tally(guard, translations[code]),
                "benign": tally(guard, frr.get(name, [])),
            }
        )
    print("| language | harmful questions blocked (20) | benign FRR prompts blocked |")
    print("|---|---|---|")
    for row in rows:
        h, b = row["harmful"], row["benign"]
        benign = f"{b['blocked']} of {b['n']}" if b else "(trained on)"
        harmful = f"{h['blocked']} [{h['low']:.2f}, {h['high']:.2f}]"
        print(f"| {row['language']} | {harmful} | {benign} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
