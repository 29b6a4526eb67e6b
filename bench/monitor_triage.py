"""How well the monitor's fast path agrees with the full guard: the triage's recall.

The fast path (``redline monitor ingest``, ``--scoring fast``) sends to
``Guard.check_batch`` only the texts ``GuardTriage`` finds uncertain; the rest are
stored as clean. This runs the full guard and the triage on the same texts and
counts, per set: the texts the full guard flags (any finding) and blocks, how many
of those the triage sent on (recall), and how many it sent on that the guard
found nothing in (false flags: full checks spent for nothing). A flag the triage
misses is a record the fast path stores as clean; one it sends on gets exactly the
full guard's verdict.

    .venv/bin/python bench/monitor_triage.py [--data-dir ../shared/data] [--limit 1500] [--json]

Sets (../shared/data, MANIFEST.md there): the benchmark log's prompts
(``public_stream_texts``: benign Alpaca / self-instruct / awesome-chatgpt-prompts
and the InjecAgent, Giskard, DAN and TAP attacks), real user prompts (ToxicChat
test), red-team openers and the assistant's last replies (hh-rlhf harmless-base),
and jailbroken or refusing model replies (GPTFuzz), as inputs or outputs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from redline.guard import Guard, Side
from redline.guard.triage import TRIAGE_MARGIN, GuardTriage
from redline.monitor.simulation import public_stream_texts


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _last_reply(dialogue: str) -> str:
    return dialogue.rsplit("\n\nAssistant:", 1)[-1].strip()


def text_sets(data_dir: Path, limit: int) -> dict[str, tuple[list[str], Side]]:
    """Distinct texts of each set (at most ``limit``, sampled with a fixed seed)."""
    stream = public_stream_texts(data_dir)
    hh = _jsonl(data_dir / "hh-rlhf/harmless_base_test.jsonl.gz")
    raw: dict[str, tuple[list[str], Side]] = {
        "bench_log_prompts": (stream.benign + stream.attacks, "input"),
        "toxicchat_prompts": (
            [r["text"] for r in _jsonl(data_dir / "toxicchat/toxicchat_human_test.jsonl.gz")],
            "input",
        ),
        "hh_rlhf_openers": ([r["text"] for r in hh], "input"),
        "hh_rlhf_replies": ([_last_reply(r["chosen"]) for r in hh], "output"),
        "gptfuzz_replies": (
            [r["text"] for r in _jsonl(data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")],
            "output",
        ),
    }
    rng = np.random.default_rng(0)
    sets = {}
    for name, (texts, side) in raw.items():
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        if len(distinct) > limit:
            distinct = [distinct[i] for i in sorted(rng.choice(len(distinct), limit, False))]
        sets[name] = (distinct, side)
    return sets


def agreement(guard: Guard, triage: GuardTriage, texts: list[str], side: Side) -> dict[str, Any]:
    started = time.process_time()
    verdicts = guard.check_batch(texts, side=side)
    full_cpu = time.process_time() - started
    started = time.process_time()
    batch = triage.screen(texts, side=side)
    triage_cpu = time.process_time() - started
    flagged = np.array([bool(v.findings) for v in verdicts])
    blocked = np.array([v.action == "block" for v in verdicts])
    sent = batch.uncertain
    missed = [
        {
            "text": texts[i][:120],
            "findings": [f"{f.scanner}.{f.category}" for f in verdicts[i].findings],
        }
        for i in np.flatnonzero(flagged & ~sent)
    ]
    return {
        "texts": len(texts),
        "side": side,
        "full_guard_flags": int(flagged.sum()),
        "full_guard_blocks": int(blocked.sum()),
        "sent_to_guard": int(sent.sum()),
        "flag_recall": round(float((flagged & sent).sum() / max(flagged.sum(), 1)), 4),
        "block_recall": round(float((blocked & sent).sum() / max(blocked.sum(), 1)), 4),
        "flags_missed": int((flagged & ~sent).sum()),
        "false_flags": int((sent & ~flagged).sum()),
        "full_guard_cpu_ms_per_text": round(full_cpu / len(texts) * 1000, 3),
        "triage_cpu_ms_per_text": round(triage_cpu / len(texts) * 1000, 3),
        "sent_by_screen": batch.reasons,
        "missed_examples": missed[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=1500, help="texts per set at most")
    parser.add_argument("--margin", type=float, default=TRIAGE_MARGIN)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    guard = Guard.default()
    triage = GuardTriage(guard, margin=args.margin)
    figures: dict[str, Any] = {"margin": args.margin}
    for name, (texts, side) in text_sets(args.data_dir, args.limit).items():
        figures[name] = agreement(guard, triage, texts, side)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
