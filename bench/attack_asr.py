"""ASR of each attack family on the bundled SmolLM2-135M (or any target).

Runs one campaign per behaviour source (the built-in harmful suite, and the
HarmBench standard behaviours from ../shared/data when present) with one
representative chain per family, and prints ASR with Wilson 95% intervals,
attempts, requests and wall time. Behaviours are a seeded random sample
(``--limit`` per source) so the run fits a small machine.

    .venv/bin/python bench/attack_asr.py --limit 8 --max-tokens 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

from redline.attacks.best_of_n import asr_at_n
from redline.data import load_dataset, load_suite
from redline.report.attack_charts import attack_family, best_of_n_outcomes
from redline.run import Campaign, run_campaign
from redline.stats import wilson_interval
from redline.store import RunStore

CHAINS: list[str | dict] = [
    "none",
    "base64",
    "leetspeak",
    "roleplay.dan",
    "roleplay.fiction",
    "decompose.payload_split",
    "context.refusal_suppression",
    "context.past_tense",
    {"chain": "context.many_shot", "params": {"shots": 4}},
    {"chain": "best_of_n", "params": {"n": 4}},
]
HARMBENCH = Path("../shared/data/harmbench/harmbench_behaviors_text_all.csv")


def sample_file(behaviors: list, limit: int, seed: int, folder: Path, name: str) -> Path:
    picked = random.Random(seed).sample(behaviors, min(limit, len(behaviors)))
    path = folder / f"{name}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for b in picked:
            row = {"id": b.id, "prompt": b.prompt, "category": b.category}
            handle.write(json.dumps(row) + "\n")
    return path


async def measure(source: str, prompts: Path, args: argparse.Namespace, runs: Path) -> list[dict]:
    campaign = Campaign.model_validate(
        {
            "target": {"kind": args.target},
            "prompts": [str(prompts)],
            "attacks": CHAINS,
            "generation": {"max_tokens": args.max_tokens},
            "concurrency": args.concurrency,
            "seed": args.seed,
            # Every request reaches the model, so request counts and wall time are real.
            "cache": False,
        }
    )
    store = RunStore(runs)
    started = time.perf_counter()
    result = await run_campaign(campaign, store=store, progress=False, new_run=True)
    wall = time.perf_counter() - started
    handle = store.open(result.run_id)
    attempts = handle.read_attempts()
    labels = {s.attempt_id: s.label for s in handle.read_scores() if s.scorer == "refusal"}
    rows: dict[str, dict] = {}
    for attempt in attempts:
        row = rows.setdefault(
            attempt.attack,
            {"source": source, "attack": attempt.attack, "family": attack_family(attempt.attack),
             "attempts": 0, "scored": 0, "successes": 0, "errors": 0},
        )  # fmt: skip
        row["attempts"] += 1
        row["errors"] += attempt.error is not None
        label = labels.get(attempt.id)
        if label is not None:
            row["scored"] += 1
            row["successes"] += label == "full_compliance"
    for row in rows.values():
        interval = wilson_interval(row["successes"], row["scored"])
        row |= {"asr": interval.estimate, "low": interval.low, "high": interval.high}
    print(
        f"# {source}: run {result.run_id}, {result.engine.requests_sent} requests, "
        f"{wall:.0f} s wall, report {result.report_path}"
    )
    scores = handle.read_scores()
    for chain, outcomes in best_of_n_outcomes(attempts, scores, scorer="refusal").items():
        curve = ", ".join(
            f"@{p.n} {p.broken}/{p.behaviors} ({p.low:.0%}-{p.high:.0%})"
            for p in asr_at_n(outcomes)
        )
        print(f"# {source}: {chain} ASR@N {curve}")
    return sorted(rows.values(), key=lambda r: (r["family"], r["attack"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=8, help="behaviours per source")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--target", default="local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = args.runs_dir or folder / "runs"
        sources = {
            "builtin-harmful": sample_file(
                load_suite("harmful"), args.limit, args.seed, folder, "harmful"
            )
        }
        if HARMBENCH.is_file():
            standard = [b for b in load_dataset(HARMBENCH) if "standard" in b.tags]
            sources["harmbench-standard"] = sample_file(
                standard, args.limit, args.seed, folder, "harmbench"
            )
        all_rows = []
        for source, path in sources.items():
            all_rows += asyncio.run(measure(source, path, args, runs))
    print(
        f"{'source':20} {'family':14} {'attack':28} {'ASR':>6} {'95% CI':>13} {'k/n':>7} {'err':>4}"
    )
    for r in all_rows:
        asr = "-" if r["asr"] is None else f"{r['asr']:.0%}"
        print(
            f"{r['source']:20} {r['family']:14} {r['attack']:28} {asr:>6} "
            f"{r['low']:>5.0%}-{r['high']:<6.0%} {r['successes']:>3}/{r['scored']:<3} "
            f"{r['errors']:>4}"
        )


if __name__ == "__main__":
    main()
