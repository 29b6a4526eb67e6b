"""Speed and memory of `redline monitor`: ingest rates, peak RSS, the drift test.

Pinned to one core (sched_setaffinity, one BLAS/torch thread). Prompts come from the
public sets in ../shared/data (redline.monitor.simulation.public_stream_texts), each
with a short response, written as chat JSONL.

    .venv/bin/python bench/monitor_speed.py [--records 2000] [--ingest-only] [--json]
        [--paths screen_guard_only,screen_static] [--rss-scoring screen]

Measures: records/s for ingest + guard (both sides) + refusal classifier + static
embeddings, for --guard-only, and for each embedder alone; peak RSS of a guard-only
ingest in a fresh process at two file sizes; the MMD drift test on two 10,000-record
windows of static embeddings.

``--ingest-only`` measures the ingest paths alone, each on the usual log and on one
with no text repeated, in records per wall second and per CPU second: the fast path
guard-only (phrase refusals, no embeddings), the fast path full (refusal classifier
or phrase refusals, static embeddings) and the full-guard path (``--scoring full``,
refusal classifier, static embeddings), and the screen path (``--scoring screen``,
the distilled monitor screen; phrase refusals; with the default audit sample,
without it, and with static or ngram embeddings), and the CLI's default (``cli_default``:
the screen, the refusal classifier, ngram embeddings). ``--paths`` picks some of them. The
scorer's counters say how many distinct texts the triage or the screen looked at
and how many went on to the full guard.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from redline.monitor import (
    IngestSettings,
    MiniLMEmbedder,
    MonitorStore,
    NgramEmbedder,
    RecordScorer,
    StaticEmbedder,
    ingest_file,
    mmd_test,
)
from redline.monitor.simulation import public_stream_texts

RESPONSES = (
    "Sure, here is a short answer to that.",
    "I'm sorry, but I can't help with that request.",
    "Here are three ideas: start small, measure, and iterate.",
)


def write_log(
    path: Path, prompts: list[str], count: int, seed: int = 0, *, distinct: bool = False
) -> None:
    """``count`` chat records; with ``distinct`` no prompt or response repeats (the
    monitor checks a text repeated within a batch once)."""
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            prompt = prompts[int(rng.integers(len(prompts)))]
            response = RESPONSES[index % len(RESPONSES)]
            if distinct:
                prompt, response = f"{prompt} (#{index})", f"{response} (#{index})"
            record = {
                "id": f"s{index}",
                "timestamp": 1767225600 + index,
                "prompt": prompt,
                "response": response,
            }
            handle.write(json.dumps(record) + "\n")


def ingest_rate(log: Path, settings: IngestSettings, records: int) -> float:
    return ingest_rates(log, settings, records)[0]


def ingest_rates(log: Path, settings: IngestSettings, records: int) -> tuple[float, float]:
    """Records per wall-clock second and per CPU second of this process (all its
    threads): the second is what a core gives when nothing else runs on it."""
    gc.freeze()  # as `redline monitor ingest` does once its models are loaded
    with tempfile.TemporaryDirectory() as folder, MonitorStore(Path(folder) / "m.duckdb") as store:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = ingest_file(log, store, settings)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.added == records, result.as_dict()
    return records / elapsed, records / cpu


def ingest_paths(
    prompts: list[str], records: int, folder: Path, names: list[str] | None = None
) -> dict[str, object]:
    """Every ingest path (or those in ``names``) on the usual log and on a log with
    no repeated text."""
    static = StaticEmbedder.packaged()
    paths = {
        "screen_guard_only": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="screen"), embedder=None
        ),
        "screen_guard_only_no_audit": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="screen", audit_rate=0.0),
            embedder=None,
        ),
        "screen_static": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="screen"), embedder=static
        ),
        "screen_ngram": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="screen"), embedder=NgramEmbedder()
        ),
        # What `redline monitor ingest` does with no options: the screen with its audit
        # sample, the trained refusal classifier, ngram embeddings.
        "cli_default": lambda: IngestSettings(
            scorer=RecordScorer(refusal="model"), embedder=NgramEmbedder()
        ),
        "fast_guard_only": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="fast"), embedder=None
        ),
        "fast_full": lambda: IngestSettings(
            scorer=RecordScorer(refusal="model", scoring="fast"), embedder=static
        ),
        "fast_full_phrase_refusals": lambda: IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="fast"), embedder=static
        ),
        "old_full": lambda: IngestSettings(
            scorer=RecordScorer(refusal="model", scoring="full"), embedder=static
        ),
    }
    if names:
        unknown = set(names) - set(paths)
        if unknown:
            raise SystemExit(f"--paths: unknown {sorted(unknown)}; known: {', '.join(paths)}")
        paths = {name: paths[name] for name in names}
    # Warm every model and cache on a small log first: a long-running ingest's state.
    warm = folder / "warm.jsonl"
    write_log(warm, prompts, 64, seed=9)
    figures: dict[str, object] = {}
    for log_name, distinct in (("usual", False), ("distinct", True)):
        log = folder / f"{log_name}.jsonl"
        write_log(log, prompts, records, distinct=distinct)
        for name, make in paths.items():
            ingest_rates(warm, make(), 64)
            settings = make()
            wall, cpu = ingest_rates(log, settings, records)
            scorer = settings.scorer
            figures[f"{name}_{log_name}"] = {
                "records_per_s": round(wall, 1),
                "records_per_cpu_s": round(cpu, 1),
                "texts_screened": scorer.screened,
                "texts_guard_checked": scorer.checked,
            }
    return figures


def peak_rss_mb(log: Path, scoring: str = "fast") -> float:
    """Peak RSS (MB) of a guard-only `redline monitor ingest` in a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        code = (
            "import resource, sys; from redline.cli.app import app\n"
            "try: app(sys.argv[1:])\nexcept SystemExit: pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, "monitor", "ingest", str(log), "--store",
             f"{folder}/m.duckdb", "--guard-only", "--scoring", scoring, "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="only the ingest paths, on the usual log and on one with no repeated text",
    )
    parser.add_argument(
        "--paths", default=None, help="comma-separated ingest paths to measure (--ingest-only)"
    )
    parser.add_argument(
        "--rss-scoring", default=None, help="only peak RSS, of guard-only ingest with this scoring"
    )
    parser.add_argument(
        "--rss-records",
        type=int,
        nargs=2,
        default=None,
        help="the two log sizes for peak RSS (default: records/4 and records*2)",
    )
    args = parser.parse_args()
    # One core: the figure the issue asks for, and fair to the machine's other users.
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = public_stream_texts(args.data_dir)
    prompts = texts.benign + texts.attacks
    figures: dict[str, object] = {
        "records": args.records,
        "load_average_at_start": os.getloadavg(),
        "cpus_pinned": len(os.sched_getaffinity(0)),
    }
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "log.jsonl"
        write_log(log, prompts, args.records)
        static = StaticEmbedder.packaged()
        full = IngestSettings(scorer=RecordScorer(refusal="model", scoring="fast"), embedder=static)
        guard_only = IngestSettings(
            scorer=RecordScorer(refusal="patterns", scoring="fast"), embedder=None
        )
        if args.ingest_only:
            names = args.paths.split(",") if args.paths else None
            figures.update(ingest_paths(prompts, args.records, Path(folder), names))
            _report(figures, args.json)
            return
        if args.rss_scoring:
            rss_only = {}
            for count in args.rss_records or (args.records // 4, args.records * 2):
                sized = Path(folder) / f"rss-{count}.jsonl"
                write_log(sized, prompts, count, seed=1)
                rss_only[count] = peak_rss_mb(sized, args.rss_scoring)
            figures[f"peak_rss_mb_by_records_{args.rss_scoring}"] = rss_only
            _report(figures, args.json)
            return
        figures["guard_only_records_per_s"] = ingest_rate(log, guard_only, args.records)
        figures["full_records_per_s"] = ingest_rate(log, full, args.records)
        sample = [prompts[i % len(prompts)] for i in range(args.records)]
        started = time.perf_counter()
        static.embed(sample)
        figures["static_embed_records_per_s"] = args.records / (time.perf_counter() - started)
        minilm = MiniLMEmbedder()
        few = sample[: max(args.records // 10, 100)]
        started = time.perf_counter()
        minilm.embed(few)
        figures["minilm_embed_records_per_s"] = len(few) / (time.perf_counter() - started)
        rss = {}
        for count in args.rss_records or (args.records // 4, args.records * 2):
            sized = Path(folder) / f"rss-{count}.jsonl"
            write_log(sized, prompts, count, seed=1)
            rss[count] = peak_rss_mb(sized)
        figures["peak_rss_mb_by_records"] = rss
        rng = np.random.default_rng(0)
        windows = static.embed([prompts[int(i)] for i in rng.integers(len(prompts), size=20000)])
        started = time.perf_counter()
        drift = mmd_test(windows[:10000], windows[10000:])
        figures["drift_test_two_10k_windows_s"] = time.perf_counter() - started
        figures["drift_p_same_distribution"] = drift.p_value
    _report(figures, args.json)


def _report(figures: dict[str, object], as_json: bool) -> None:
    figures["load_average_at_end"] = os.getloadavg()
    figures["self_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
