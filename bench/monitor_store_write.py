"""CPU cost of the monitoring store's batch write, per record.

    OMP_NUM_THREADS=1 taskset -c 1 env PYTHONPATH=src python bench/monitor_store_write.py \
        [--records 20000] [--rounds 6] [--json]

Writes scored batches shaped like the bench log with no repeated text (~1,000-character
prompts from ../shared/data, short responses, an audit row pair every 500 records) with
``MonitorStore.save_batch``, 4,096 records a batch, into a fresh store:

- ``new``: every key new (the usual case: plain inserts);
- ``stored``: the same batches again into that store (every key stored: the plain
  insert fails and the batch is written again with ``INSERT OR IGNORE``);
- ``half_stored``: batches mixing stored and new keys (the same fallback);

each with DuckDB's thread pool as the store sets it (the cores this process may run
on) and with two threads (DuckDB's default on this 2-core machine). Median and range
over ``--rounds`` rounds, microseconds of CPU time a record.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from redline.monitor.simulation import public_stream_texts
from redline.monitor.store import AuditRow, MonitorStore, ScoredBatch, SourcePosition

BATCH = 4096


def scored_batches(prompts: list[str], keys: list[str], seed: int) -> list[ScoredBatch]:
    rng = np.random.default_rng(seed)
    batches = []
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        count = len(chunk)
        audits = [
            AuditRow(key=k, side=side, micros=10**15, screen_action="allow",
                     screen_categories=[], guard_action="allow", guard_categories=[])
            for k in chunk[::500] for side in ("input", "output")
        ]  # fmt: skip
        batches.append(
            ScoredBatch(
                source="bench.jsonl",
                keys=chunk,
                micros=[10**15 + start + i for i in range(count)],
                lines=list(range(start + 1, start + count + 1)),
                models=[""] * count,
                prompts=[f"{prompts[int(rng.integers(len(prompts)))]} ({k})" for k in chunk],
                responses=[f"Sure, here is a short answer to that. ({k})" for k in chunk],
                input_actions=["allow"] * count,
                output_actions=["allow"] * count,
                input_categories=[[] for _ in chunk],
                output_categories=[[] for _ in chunk],
                refusals=["full_compliance"] * count,
                over_refusals=[False] * count,
                audits=audits,
            )
        )
    return batches


def write_cpu(store: MonitorStore, batches: list[ScoredBatch]) -> tuple[float, int]:
    """CPU seconds to write ``batches``, and the records they added."""
    added, line = 0, 0
    started = time.process_time()
    for batch in batches:
        line += len(batch)
        position = SourcePosition(byte_offset=line * 1000, line=line, records=line)
        added += store.save_batch(batch.source, batch, None, [], position)
    return time.process_time() - started, added


def one_round(prompts: list[str], records: int, seed: int, threads: int | None) -> dict[str, float]:
    keys = [f"id:s{i}" for i in range(records)]
    half = [f"id:s{i}" if i % 2 else f"id:n{i}" for i in range(records)]
    first = scored_batches(prompts, keys, seed)
    with tempfile.TemporaryDirectory() as folder, MonitorStore(Path(folder) / "m.db") as store:
        if threads is not None:
            store.con.execute(f"SET threads = {threads}").fetchall()
        new, added = write_cpu(store, first)
        assert added == records
        stored, added = write_cpu(store, first)
        assert added == 0
        mixed, added = write_cpu(store, scored_batches(prompts, half, seed + 1))
        assert added == records // 2
    return {
        "new": new / records * 1e6,
        "stored": stored / records * 1e6,
        "half_stored": mixed / records * 1e6,
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = public_stream_texts(args.data_dir)
    prompts = texts.benign + texts.attacks
    runs: dict[str, list[float]] = {}
    for seed in range(args.rounds):
        for label, threads in (("pool_as_set", None), ("two_threads", 2)):
            for case, micros in one_round(prompts, args.records, seed, threads).items():
                runs.setdefault(f"{case}_{label}", []).append(micros)
    figures = {
        "records": args.records,
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "load_average": os.getloadavg(),
        "us_per_record": {name: _summary(values) for name, values in runs.items()},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for name, value in figures["us_per_record"].items():  # type: ignore[union-attr]
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
