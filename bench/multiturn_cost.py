"""Requests and wall time per behaviour for each multi-turn attacker on the bundled model.

    .venv/bin/python bench/multiturn_cost.py [--behaviours 3] [--max-tokens 64]
                                               [--plain-text-prompts]

The target, attacker and judge are all the bundled SmolLM2-135M-Instruct
(one in-process llama.cpp instance). Prints one row per attacker: target
queries, attacker and judge calls, attacker errors, seconds per behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time

from redline.attacks import AttackResources, build_attack
from redline.core import Attempt, GenerationParams, Message
from redline.data import load_suite
from redline.engine import Executor
from redline.targets import build_target
from redline.targets.spec import TargetSpec

SETTINGS = {
    "multiturn.crescendo": {"turns": 2, "max_backtracks": 1, "query_budget": 4},
    "multiturn.pair": {"streams": 1, "iterations": 2, "query_budget": 4},
    "multiturn.tap": {"width": 2, "depth": 1, "branching": 2, "query_budget": 4},
}


async def bench(
    behaviours: int, max_tokens: int, *, plain_text_prompts: bool
) -> list[dict[str, object]]:
    model = build_target(TargetSpec(kind="local"))
    resources = AttackResources(attacker=model, judge=model)
    suite = load_suite("harmful")[:behaviours]
    rows = []
    try:
        await model.generate([Message(role="user", content="hi")], GenerationParams(max_tokens=1))
        for name, params in SETTINGS.items():
            settings = {
                **params,
                "attacker_max_tokens": 128,
                "plain_text_prompts": plain_text_prompts,
            }
            attack = build_attack(name, settings, resources=resources)
            jobs = []
            for behavior in suite:
                attempt = Attempt(
                    id=f"bench-{name}-{behavior.id}",
                    run_id="bench",
                    behavior_id=behavior.id,
                    category=behavior.category,
                    expected=behavior.expected,
                    attack=name,
                    target=model.name,
                    messages=[Message(role="user", content=behavior.prompt)],
                )
                jobs.append(
                    attack.job(attempt, GenerationParams(max_tokens=max_tokens), state_dir=None)
                )
            results: list[Attempt] = []
            started = time.perf_counter()
            await Executor(model, concurrency=1).run(jobs, results.append)
            wall = time.perf_counter() - started
            outcomes = [r.attack_params.get("outcome", {}) for r in results]
            row = {
                "attacker": name,
                "behaviours": len(results),
                "target_queries_per_behaviour": sum(o.get("queries", 0) for o in outcomes)
                / len(results),
                "attacker_calls_per_behaviour": sum(o.get("attacker_queries", 0) for o in outcomes)
                / len(results),
                "judge_calls_per_behaviour": sum(o.get("judge_queries", 0) for o in outcomes)
                / len(results),
                "attacker_errors": sum(1 for r in results if r.error is not None),
                "seconds_per_behaviour": round(wall / len(results), 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)  # a row as soon as it is measured
    finally:
        await model.aclose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--behaviours", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument(
        "--plain-text-prompts",
        action="store_true",
        help="take the bundled attacker's non-JSON answers as prompts",
    )
    args = parser.parse_args()
    rows = asyncio.run(
        bench(args.behaviours, args.max_tokens, plain_text_prompts=args.plain_text_prompts)
    )
    print(f"# machine: {platform.machine()}, python {platform.python_version()}")
    header = list(rows[0])
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[k]) for k in header))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
