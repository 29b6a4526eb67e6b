"""AgentDojo-style table for the stub's scripted reference agents, and episodes/minute.

Starts the OpenAI-compatible stub on loopback playing each reference agent
(oracle, follow, ignore), runs every suite with the chosen attacks and
defences through ``run_agent_suites`` (the same path as ``redline agent
run``), and prints utility, utility under attack and targeted ASR (95%
Wilson intervals) per agent x defence x attack, pooled over the suites, with
the wall time and episodes per minute (no response cache, so every turn is a
real HTTP request).

    .venv/bin/python bench/agent_reference.py \
        --defences none,tool_filter,spotlight,repeat_prompt,plan_execute,guard
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from redline.agents import AgentRunConfig, reference_script, run_agent_suites, suite_names
from redline.run import EngineSettings
from redline.store import RunStore
from redline.targets import TargetSpec
from redline.testing.openai_stub import running_stub

KEY_ENV = "REDLINE_BENCH_STUB_KEY"


def _pct(rate: dict) -> str:
    if rate["rate"] is None:
        return "-"
    low, high = rate["interval"]["low"], rate["interval"]["high"]
    return f"{100 * rate['rate']:.1f} [{100 * low:.1f}, {100 * high:.1f}] (n={rate['n']})"


async def run_agent(agent: str, args: argparse.Namespace) -> dict:
    os.environ[KEY_ENV] = "bench"
    suites = suite_names()
    async with running_stub(
        delay=args.delay, agent=agent, agent_script=reference_script(suites)
    ) as url:
        config = AgentRunConfig(
            suites=suites,
            target=TargetSpec(kind="openai", model="stub", base_url=url, api_key_env=KEY_ENV),
            attacks=args.attacks.split(","),
            defences=args.defences.split(","),
            engine=EngineSettings(concurrency=args.concurrency, cache=False),
        )
        with tempfile.TemporaryDirectory() as runs:
            started = time.perf_counter()
            result = await run_agent_suites(config, store=RunStore(Path(runs)), progress=False)
            seconds = time.perf_counter() - started
    return {
        "agent": agent,
        "episodes": result.episodes,
        "errors": result.errors,
        "seconds": round(seconds, 2),
        "episodes_per_minute": round(60 * result.episodes / seconds, 1),
        "rows": [r.model_dump(mode="json") for r in result.metrics if r.suite == "all"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="oracle,follow,ignore")
    parser.add_argument("--attacks", default="important_instructions")
    parser.add_argument("--defences", default="none")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.0, help="stub seconds per reply")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [asyncio.run(run_agent(agent, args)) for agent in args.agents.split(",")]
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| agent | defence | attack | utility % | utility under attack % | targeted ASR % |")
    print("|---|---|---|---|---|---|")
    for result in results:
        for row in result["rows"]:
            print(
                f"| {result['agent']} | {row['defences']} | {row['attack']} | "
                f"{_pct(row['utility'])} | {_pct(row['utility_under_attack'])} | "
                f"{_pct(row['targeted_asr'])} |"
            )
    for result in results:
        print(
            f"{result['agent']}: {result['episodes']} episodes ({result['errors']} errors) in "
            f"{result['seconds']} s = {result['episodes_per_minute']} episodes/minute"
        )


if __name__ == "__main__":
    main()
