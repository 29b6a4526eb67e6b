"""The default policy's verdict on every text of the public sets, and which verdicts a
change moved: the check that a rule or word change touches only what it means to.

    OMP_NUM_THREADS=1 python bench/guard_verdict_diff.py --json BEFORE.json
    OMP_NUM_THREADS=1 python bench/guard_verdict_diff.py --json AFTER.json --against BEFORE.json

The sets are ``bench/guard_hazard_requests.py``'s (benign and harmful prompts,
benign and harmful replies; 93,964 texts, about a minute on one core). Replies are
checked on the output side, the rest on the input side. A text's record is the
action, its reasons and how many sexual-content rule matches it holds (that rule
reads inputs and outputs alike, so a change in its words shows even where the
verdict holds). Run the first command on the tree before the change
(``PYTHONPATH=that/tree/src``), the second on the tree after: it prints, per set, how
many records changed and the first few.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_hazard_requests import public_sets
from rich.progress import track

from redline.detectors.sexual_content import sexual_content_rules
from redline.guard import Guard

SHOWN = 5


def records(data_dir: Path) -> dict[str, list[list[Any]]]:
    """set name -> one [action, reasons, sexual-content matches] per text, in order."""
    guard = Guard.default()
    rules = sexual_content_rules()
    out: dict[str, list[list[Any]]] = {}
    sets = public_sets(data_dir)
    for name, (kind, load) in track(sets.items(), description="public sets"):
        texts = load()
        side = "output" if kind.endswith("reply") else "input"
        verdicts = guard.check_batch(texts, side=side)
        out[name] = [
            [verdict.action, sorted(verdict.reasons), len(rules.find(text))]
            for text, verdict in zip(texts, verdicts, strict=True)
        ]
    return out


def changes(before: dict[str, list[list[Any]]], after: dict[str, list[list[Any]]]) -> int:
    """Print what changed per set; the number of changed records."""
    total = 0
    print("| set | texts | records changed |\n|---|---|---|")
    for name, rows in after.items():
        old = before.get(name)
        if old is None or len(old) != len(rows):
            print(f"| {name} | {len(rows):,} | (not comparable: the set differs) |")
            continue
        moved = [(i, a, b) for i, (a, b) in enumerate(zip(old, rows, strict=True)) if a != b]
        total += len(moved)
        print(f"| {name} | {len(rows):,} | {len(moved)} |")
        for index, a, b in moved[:SHOWN]:
            print(f"   text {index}: {a} -> {b}")
    return total


def before_and_after_args(doc: str) -> tuple[argparse.Namespace, Any]:
    """``--data-dir``, ``--json`` (this tree's records) and ``--against`` (an earlier
    run's, read here: None without it) of the benches that compare two trees."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--json", type=Path, required=True, help="where this tree's records go")
    parser.add_argument("--against", type=Path, help="an earlier run's --json to compare with")
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found")
    before = None
    if args.against is not None:
        try:
            before = json.loads(args.against.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            sys.exit(f"{args.against}: cannot read an earlier run ({exc})")
    return args, before


def main() -> None:
    args, before = before_and_after_args(__doc__)
    after = records(args.data_dir)
    args.json.write_text(json.dumps(after, ensure_ascii=False) + "\n", encoding="utf-8")
    if before is not None:
        print(f"{changes(before, after)} records changed")


if __name__ == "__main__":
    main()
