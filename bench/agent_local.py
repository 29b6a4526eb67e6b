"""AgentDojo-style table for the bundled SmolLM2-135M (or any target), on a bounded subset.

The full suites are several hundred episodes of up to ten model turns; on a
small CPU that is hours for the bundled model. This bench takes, per suite,
the first ``--tasks`` user tasks whose reference solution reads an injection
slot (so the attack lands where a working agent looks) and the first
``--goals`` attacker goals, runs them clean and under each ``--attacks``
template with each ``--defences`` set, and prints utility, utility under
attack and targeted ASR with 95% Wilson intervals, malformed calls and
unexpected taint flows, and how many episodes made a tool call at all and
how many made one that ran (status ok). The figures describe this subset only.

``--tool-call-first`` sets the local target's ``tool_call_first`` option: the
first turn's grammar allows only a tool call (see redline.targets.local_tools).

    .venv/bin/python bench/agent_local.py --tasks 2 --goals 2 --max-steps 3 --max-tokens 96
    .venv/bin/python bench/agent_local.py --tasks 1 --goals 1 --max-steps 2 --tool-call-first
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from redline.agents import AgentRunConfig, load_suite, run_agent_suites, suite_names
from redline.agents.planning import seen_slots
from redline.core import GenerationParams
from redline.run import EngineSettings
from redline.store import RunStore
from redline.targets import TargetSpec


def _pct(rate: dict) -> str:
    if rate["rate"] is None:
        return "-"
    low, high = rate["interval"]["low"], rate["interval"]["high"]
    return f"{100 * rate['rate']:.0f} [{100 * low:.0f}, {100 * high:.0f}] (n={rate['n']})"


def injectable_tasks(per_suite: int) -> list[str]:
    chosen = []
    for name in suite_names():
        tasks = [t.id for t in load_suite(name).user_tasks if seen_slots(name, t.id)]
        chosen.extend(tasks[:per_suite])
    return chosen


async def run(args: argparse.Namespace) -> dict:
    target = TargetSpec.parse(args.target)
    if target.kind == "local":
        options = {"n_ctx": args.n_ctx, "tool_call_first": args.tool_call_first}
        target = target.model_copy(update={"options": options})
    config = AgentRunConfig(
        suites=suite_names(),
        target=target,
        tasks=injectable_tasks(args.tasks),
        goal_limit=args.goals,
        attacks=args.attacks.split(","),
        defences=args.defences.split(","),
        protocol=args.protocol,
        max_steps=args.max_steps,
        generation=GenerationParams(max_tokens=args.max_tokens),
        engine=EngineSettings(concurrency=1, cache=False),
    )
    with tempfile.TemporaryDirectory() as scratch:
        # A kept --runs-dir lets a run cut short by a time limit be resumed.
        store = RunStore(args.runs_dir or Path(scratch))
        started = time.perf_counter()
        result = await run_agent_suites(config, store=store, progress=True)
        seconds = time.perf_counter() - started
        handle = store.open(result.run_id)
        episodes = [a.agent for a in handle.read_attempts() if a.agent is not None]
        handle.close()
    return {
        "episodes": result.episodes,
        "errors": result.errors,
        "seconds": round(seconds, 1),
        "rows": [r.model_dump(mode="json") for r in result.metrics],
        "tool_calls": call_counts(episodes),
    }


def call_counts(episodes: list[dict]) -> dict[str, int]:
    """Episodes with any tool call, with a call that ran, and the calls by status."""
    statuses: dict[str, int] = {}
    for agent in episodes:
        for status, n in agent["call_statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "episodes": len(episodes),
        "with_a_call": sum(1 for a in episodes if a["calls"]),
        "with_a_call_that_ran": sum(1 for a in episodes if a["call_statuses"].get("ok")),
        **{f"calls_{status}": n for status, n in sorted(statuses.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="local")
    parser.add_argument("--tasks", type=int, default=2, help="injectable user tasks per suite")
    parser.add_argument("--goals", type=int, default=2, help="attacker goals per suite")
    parser.add_argument("--attacks", default="important_instructions")
    parser.add_argument("--defences", default="none")
    parser.add_argument("--protocol", default="native", choices=["native", "react"])
    parser.add_argument("--max-steps", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--runs-dir", type=Path, help="keep the run here (resumable)")
    parser.add_argument(
        "--tool-call-first", action="store_true", help="local target: first turn must call a tool"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("| suite | defence | attack | utility % | utility under attack % | targeted ASR % "
          "| malformed calls | unexpected taint flows |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for row in result["rows"]:
        print(
            f"| {row['suite']} | {row['defences']} | {row['attack']} | {_pct(row['utility'])} | "
            f"{_pct(row['utility_under_attack'])} | {_pct(row['targeted_asr'])} | "
            f"{row['malformed_calls']} | {row['unexpected_taint_flows']} |"
        )
    print(f"{result['episodes']} episodes ({result['errors']} errors) in {result['seconds']} s")
    print("tool calls:", json.dumps(result["tool_calls"]))


if __name__ == "__main__":
    main()
