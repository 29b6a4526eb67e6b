"""CPU µs a record of three ingest pieces on the no-repeat bench log: reading lines
into columns, the monitor screen's labels (prompt and response), and the phrase
refusal labels (one text at a time and batched).

Pinned to one core; best of ``--repeats`` runs, by process CPU time. The reading
figure runs ``LogIngest.run_once`` with scoring and the store cut out, so it runs
on any tree (run it in a main worktree for the before figure); the refusal figures
need the batched ``refusal_labels`` (absent before: reported as null).

    PYTHONPATH=src .venv/bin/python bench/monitor_line_costs.py [--records 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from monitor_speed import RESPONSES, write_log

from redline.classifiers.monitor_screen import shipped_monitor_screen
from redline.monitor import IngestSettings, MonitorStore, RecordScorer
from redline.monitor.ingest import LogIngest
from redline.monitor.log_records import RecordBatch
from redline.monitor.simulation import public_stream_texts
from redline.monitor.store import SourcePosition
from redline.scoring import refusal


def best_micros(run: Callable[[], object], records: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return round(best / records * 1e6, 2)


def reading(log: Path, records: int, repeats: int) -> tuple[float, RecordBatch]:
    """Lines to a RecordBatch: the loop, orjson, the chat reader (no scoring, no store);
    and the batch read."""
    settings = IngestSettings(
        scorer=RecordScorer(refusal="patterns", scoring="screen", audit_rate=0.0),
        embedder=None,
        batch_size=records + 1,
    )
    with tempfile.TemporaryDirectory() as folder, MonitorStore(Path(folder) / "m.db") as store:
        job = LogIngest(log, store, settings)
        read: list[RecordBatch] = []
        job._flush = lambda batch, *args: read.append(batch.records)  # type: ignore[method-assign]

        def once() -> None:
            read.clear()
            job.position = SourcePosition()
            job.run_once()

        return best_micros(once, records, repeats), read[-1]


def screening(batch: RecordBatch, repeats: int) -> float:
    """The screen's labels of every prompt (input side) and response (output side),
    as ingest's screen path asks for them (each distinct text once)."""
    screen = shipped_monitor_screen()
    prompts = list(dict.fromkeys(batch.prompts))
    responses = list(dict.fromkeys(batch.responses))

    def once() -> None:
        screen.labels(prompts, side="input")
        screen.labels(responses, side="output")

    return best_micros(once, len(batch), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = public_stream_texts(args.data_dir)
    figures: dict[str, object] = {"records": args.records, "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "distinct.jsonl"
        write_log(log, texts.benign + texts.attacks, args.records, distinct=True)
        figures["read_lines_us"], batch = reading(log, args.records, args.repeats)
    figures["screen_labels_us"] = screening(batch, args.repeats)
    # The no-repeat log's responses: every one distinct, a third of them refusals.
    responses = [f"{RESPONSES[i % len(RESPONSES)]} (#{i})" for i in range(args.records)]
    figures["refusal_per_text_us"] = best_micros(
        lambda: [refusal.classify_refusal(t)[0] for t in responses], args.records, args.repeats
    )
    batched = getattr(refusal, "refusal_labels", None)
    figures["refusal_batched_us"] = (
        best_micros(lambda: batched(responses), args.records, args.repeats) if batched else None
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")


if __name__ == "__main__":
    sys.exit(main())
