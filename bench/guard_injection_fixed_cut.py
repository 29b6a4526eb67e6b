"""The injection head of two checkouts on the same benign texts, at each head's own
production cut-off and at one common cut-off.

    OMP_NUM_THREADS=1 python bench/guard_injection_fixed_cut.py --before REF|DIR
        [--after DIR] [--data-dir ../shared/data] [--cut 0.752892] [--json OUT]

A retrain moves the production cut-off as well as the scores: the injection
head's floor is the out-of-fold max-F1 cut, which moved by up to 0.11 between seeds
(docs/benchmarks.md, "Stable production cut-offs"). Block rates at each head's own
cut say what users get; block rates at one common cut (default: the ``--before``
head's) say what the training data changed. ``--before`` is a git revision whose
injection artifact is read with ``git show``, or a folder holding an injection
artifact (``redline train guard --models injection --out DIR`` writes
``DIR/injection``); ``--after`` is such a folder too, by default the working tree's.

Benign texts, never trained on by either head: long BIPIA tables (all sampled, and
the third no model trains on), ToxicChat non-toxic test prompts (CC-BY-NC), Alpaca
instructions (CC-BY-NC), and Alpaca instructions inside the request layouts training
fills and the twelve held-out ones (``bench/guard_app_layouts.py``). Scores are the
raw head's, window by window as the guard reads long texts (no phrase rules).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_app_layouts import in_layouts, layout_texts
from guard_failure_cases import alpaca_instructions, jsonl_gz, long_bipia_tables, sample

from redline.classifiers.classifier import TextClassifier, artifacts_dir
from redline.classifiers.public_sources import bipia_measurement_only

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = "src/redline/classifiers/artifacts/injection"
ARTIFACT_FILES = ("config.json", "weights.npz")
ALPACA_PER_LAYOUT = 50


def artifact_at(revision: str, into: Path) -> Path:
    """The injection artifact in folder ``revision``, or as committed at git revision
    ``revision`` (written under ``into``)."""
    if (Path(revision) / "config.json").is_file():
        return Path(revision)
    folder = into / "injection"
    folder.mkdir(parents=True)
    for name in ARTIFACT_FILES:
        blob = subprocess.run(
            ["git", "show", f"{revision}:{ARTIFACT}/{name}"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        (folder / name).write_bytes(blob)
    return folder


def benign_sets(data_dir: Path) -> dict[str, list[str]]:
    tables = long_bipia_tables(data_dir, 1000)
    alpaca = alpaca_instructions(data_dir)
    trained, held_out = layout_texts()
    toxicchat = jsonl_gz(data_dir / "toxicchat/toxicchat_human_test.jsonl.gz")
    return {
        "long BIPIA tables, sampled": [text for _, text in tables],
        "long BIPIA tables, never trained on": [
            text for i, text in tables if bipia_measurement_only("table", i)
        ],
        "ToxicChat test, non-toxic": [row["text"] for row in toxicchat if row["toxicity"] == 0],
        "Alpaca instructions": sample(alpaca, 1000),
        "Alpaca in the trained request layouts": in_layouts(trained, alpaca, ALPACA_PER_LAYOUT),
        "Alpaca in the held-out layouts": in_layouts(held_out, alpaca, ALPACA_PER_LAYOUT),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--before", required=True, help="git revision or artifact folder of the 'before' head"
    )
    parser.add_argument(
        "--after", type=Path, help="artifact folder of the 'after' head (default: this tree's)"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cut", type=float, help="the common cut-off (default: --before's)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.data_dir / "bipia").is_dir():
        parser.error(f"{args.data_dir} holds no bipia/ folder: pass --data-dir ../shared/data")
    sets = benign_sets(args.data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        after = args.after or artifacts_dir() / "injection"
        heads = {
            args.before: TextClassifier.load(artifact_at(args.before, Path(tmp))),
            str(args.after or "working tree"): TextClassifier.load(after),
        }
        own = {name: head.side_thresholds["input"]["injection"] for name, head in heads.items()}
        common = args.cut if args.cut is not None else own[args.before]
        rows = []
        for set_name, texts in sets.items():
            row: dict = {"set": set_name, "n": len(texts)}
            for name, head in heads.items():
                scores = head.predict_proba(texts)[:, 0]
                row[name] = {
                    "own_cut": round(float((scores >= own[name]).mean()), 4),
                    "common_cut": round(float((scores >= common).mean()), 4),
                }
            rows.append(row)
    before, after = heads
    print(f"cut-offs: {before} {own[before]:.4f}, {after} {own[after]:.4f}; common {common:.4f}")
    print(
        "| benign set | n | before, own cut | after, own cut "
        "| before, common cut | after, common cut |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{100 * row[h][k]:.1f}%" for k in ("own_cut", "common_cut") for h in heads]
        print(f"| {row['set']} | {row['n']} | {' | '.join(cells)} |")
    if args.json:
        out = {"cut_offs": own, "common_cut": common, "rows": rows}
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
