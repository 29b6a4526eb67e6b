"""Whole no-repeat ingest with another tree's monitoring store against this tree's,
alternately in one process (the same scorer: this tree's), records per CPU second.

    OMP_NUM_THREADS=1 taskset -c 1 env PYTHONPATH=src python bench/monitor_store_ab.py \\
        --base-store /tmp/wt-norepbase/src/redline/monitor/store.py [--records 20000] [--rounds 6]

Alternating in one process puts both through the same load, which on a shared core
moves two separate runs by up to a fifth; medians over ``--rounds``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).parent))
import monitor_speed  # the bench log writer, beside this script

from redline.monitor import IngestSettings, RecordScorer, ingest_file
from redline.monitor import store as this_store
from redline.monitor.simulation import public_stream_texts


def load_store(path: Path) -> ModuleType:
    """Another tree's ``store.py`` as a module; its ``ScoredBatch`` is this tree's (the
    scorer here builds them)."""
    spec = importlib.util.spec_from_file_location("base_store", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["base_store"] = module
    spec.loader.exec_module(module)
    module.ScoredBatch = this_store.ScoredBatch
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-store", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    stores = {"base": load_store(args.base_store), "this": this_store}
    texts = public_stream_texts(args.data_dir)
    folder = Path(tempfile.mkdtemp())
    log, warm = folder / "distinct.jsonl", folder / "warm.jsonl"
    monitor_speed.write_log(log, texts.benign + texts.attacks, args.records, distinct=True)
    monitor_speed.write_log(warm, texts.benign + texts.attacks, 64, seed=9)
    gc.freeze()
    rates: dict[tuple[str, float], list[float]] = {}
    for _ in range(args.rounds):
        for audit in (0.002, 0.0):
            for name, module in stores.items():
                scorer = RecordScorer(refusal="patterns", scoring="screen", audit_rate=audit)
                settings = IngestSettings(scorer=scorer, embedder=None)
                with tempfile.TemporaryDirectory() as work:
                    with module.MonitorStore(Path(work) / "warm.duckdb") as store:
                        ingest_file(warm, store, settings)
                    with module.MonitorStore(Path(work) / "m.duckdb") as store:
                        started = time.process_time()
                        result = ingest_file(log, store, settings)
                        cpu = time.process_time() - started
                assert result.added == args.records
                rates.setdefault((name, audit), []).append(args.records / cpu)
    for (name, audit), values in rates.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name} store, audit {audit}: median {statistics.median(values):.0f} ({runs})")


if __name__ == "__main__":
    main()
