"""Constitutional AI on a target: harm, refusal and helpfulness over rounds.

Runs `redline cai run` as a library call on a stratified sample of the built-in
`harmful` and `benign` suites (default: the bundled local model as both target
and feedback model) and prints the per-round figures of summary.json as a
Markdown table plus the JSON document. Usage (bounded; the machine is shared):

    timeout 3600 python bench/cai_rounds.py --limit 20 --rounds 2 --runs-dir /tmp/cai-bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from redline.alignment.cai import run_cai
from redline.alignment.cai_config import CaiConfig
from redline.alignment.constitution import load_constitution
from redline.stats import Interval
from redline.store import RunStore
from redline.targets import TargetSpec


def _rate(interval: Interval) -> str:
    if interval.estimate is None:
        return "-"
    return f"{interval.estimate:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="local")
    parser.add_argument("--limit", type=int, default=20, help="Prompts per suite.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/redline-cai-bench"))
    args = parser.parse_args()

    config = CaiConfig(
        constitution=load_constitution(),
        target=TargetSpec.parse(args.target),
        suites=["harmful", "benign"],
        limit=2 * args.limit,
        rounds=args.rounds,
        max_tokens=args.max_new_tokens,
    )
    started = time.perf_counter()
    result = asyncio.run(run_cai(config, store=RunStore(args.runs_dir), progress=True))
    assert result.summary is not None, result.status
    summary = result.summary
    print("| round | harmful refused | harmful flagged | benign answered | benign flagged |")
    print("|---|---|---|---|---|")
    for r in summary.rounds:
        print(
            f"| {r.round} | {_rate(r.refused)} | {_rate(r.harmful_content_on_harmful)} | "
            f"{_rate(r.answered_benign)} | {_rate(r.harmful_content_on_benign)} |"
        )
    document = {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "run_id": result.run_id,
        **json.loads(summary.model_dump_json()),
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
