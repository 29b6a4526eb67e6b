"""Where the CPU of the monitor's fast path goes, per stage (``--scoring fast``:
triage, the guard's ``check_batch`` on what it is unsure of, refusal classifier,
static embeddings), on the log ``bench/monitor_speed.py`` writes.

    OMP_NUM_THREADS=1 taskset -c 1 python bench/guard_batch_stages.py [--records 20000] [--json]

Each stage is a function wrapped with a CPU-time (``time.process_time``) timer;
a stage inside another stage of the same name is counted once. Stages nest
(``triage.screen`` holds ``triage.heads``, which holds ``featurize``...), so the
shares do not add up to 100%. The wrappers cost a little: the total is a few
percent above an unwrapped run's.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitor_speed import ingest_rates, write_log

from redline.classifiers import features
from redline.guard import classifier_scores, pipeline, triage
from redline.monitor import (
    IngestSettings,
    RecordScorer,
    StaticEmbedder,
    record_scoring,
)
from redline.monitor.simulation import public_stream_texts

SPENT: collections.Counter[str] = collections.Counter()
CALLS: collections.Counter[str] = collections.Counter()
_OPEN: list[str] = []


def timed(owner: Any, name: str, label: str) -> None:
    """Wrap ``owner.name`` so its CPU time adds to ``SPENT[label]``."""
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        _OPEN.append(label)
        try:
            return inner(*args, **kwargs)
        finally:
            _OPEN.pop()
            if label not in _OPEN:
                SPENT[label] += time.process_time() - started
                CALLS[label] += 1

    setattr(owner, name, wrapper)


def wrap_stages() -> None:
    timed(triage.GuardTriage, "screen", "triage: whole screen")
    timed(triage.GuardTriage, "_heads", "triage: classifier heads (featurize, windows, product)")
    timed(triage.GuardTriage, "_rules_and_views", "triage: phrase rules + decoded views")
    timed(triage, "match_rules", "triage: phrase rules")
    timed(triage, "decoded_views", "triage: decoded views")
    timed(classifier_scores.ClassifierScores, "windowed", "long texts scored window by window")
    timed(features.TextFeaturizer, "transform", "featurize (all callers)")
    timed(features.TextFeaturizer, "_dense_rows", "featurize: static-MiniLM vectors")
    timed(features.TextFeaturizer, "_hashed_batch", "featurize: hashed n-grams")
    timed(pipeline.Guard, "check_batch", "guard: check_batch (texts the triage sent on)")
    timed(record_scoring.RecordScorer, "_refusal_labels", "refusal classifier")
    timed(record_scoring.RecordScorer, "_embeddings", "record embeddings (beyond the features)")
    scan_batch = pipeline.Guard._scan_batch

    def per_scanner(self: pipeline.Guard, item: Any, prepared: Any) -> Any:
        started = time.process_time()
        try:
            return scan_batch(self, item, prepared)
        finally:
            SPENT[f"guard: scanner {item.name}"] += time.process_time() - started
            CALLS[f"guard: scanner {item.name}"] += 1

    pipeline.Guard._scan_batch = per_scanner  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = public_stream_texts(args.data_dir)
    prompts = texts.benign + texts.attacks
    wrap_stages()
    static = StaticEmbedder.packaged()

    def settings() -> IngestSettings:
        return IngestSettings(scorer=RecordScorer(refusal="model", scoring="fast"), embedder=static)

    with tempfile.TemporaryDirectory() as folder:
        warm, log = Path(folder) / "warm.jsonl", Path(folder) / "log.jsonl"
        write_log(warm, prompts, 64, seed=9)
        write_log(log, prompts, args.records)
        ingest_rates(warm, settings(), 64)
        SPENT.clear()
        CALLS.clear()
        chosen = settings()
        load = os.getloadavg()
        started = time.process_time()
        _wall, per_cpu_s = ingest_rates(log, chosen, args.records)
        total = time.process_time() - started
    scorer = chosen.scorer
    rows = [
        {
            "stage": label,
            "cpu_s": round(spent, 3),
            "share": round(spent / total, 3),
            "us_per_record": round(spent / args.records * 1e6, 1),
            "calls": CALLS[label],
        }
        for label, spent in SPENT.most_common()
    ]
    figures = {
        "records": args.records,
        "records_per_cpu_s": round(per_cpu_s, 1),
        "total_cpu_s": round(total, 3),
        "texts_screened": scorer.screened,
        "texts_guard_checked": scorer.checked,
        "load_average_at_start": load,
        "stages": rows,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{args.records} records, {per_cpu_s:.0f} records per CPU second, {total:.2f} CPU s; "
        f"{scorer.screened} texts screened, {scorer.checked} checked by the guard; load {load}"
    )
    print("| stage | CPU s | share | µs a record | calls |\n|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['stage']} | {row['cpu_s']:.2f} | {row['share'] * 100:.0f}% "
            f"| {row['us_per_record']:.0f} | {row['calls']} |"
        )


if __name__ == "__main__":
    main()
