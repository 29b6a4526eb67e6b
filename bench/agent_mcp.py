"""MCP-server episodes against the stub's scripted agents: figures and episodes/minute.

Runs ``agent run --mcp-server`` (the same path: ``run_agent_suites`` with an
MCP environment) over the inbox stub server (``redline.testing.mcp_stub
--tools inbox``, tasks in ``testing/mcp_servers/inbox_tasks.yaml``) with the
stub playing each reference agent, over stdio (a server process started per
episode, plus one to list the tools) or over HTTP (one server for the run).
``--repeat N`` runs the task file's tasks N times over (as N defence-free
copies under different seeds) so the rate is over enough episodes.

    .venv/bin/python bench/agent_mcp.py --repeat 4
    .venv/bin/python bench/agent_mcp.py --repeat 4 --transport http
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import redline
from redline.agents import AgentRunConfig, reference_script, run_agent_suites
from redline.agents.mcp_environment import McpEnvironmentConfig, load_mcp_tasks
from redline.run import EngineSettings
from redline.store import RunStore
from redline.targets import TargetSpec
from redline.testing.openai_stub import running_stub

KEY_ENV = "REDLINE_BENCH_STUB_KEY"
TASKS = Path(str(resources.files("redline.testing.mcp_servers").joinpath("inbox_tasks.yaml")))
SERVER = [sys.executable, "-m", "redline.testing.mcp_stub", "--tools", "inbox"]
SERVER_ENV = {"PYTHONPATH": str(Path(redline.__file__).resolve().parents[1])}


async def run_agent(agent: str, server: str, args: argparse.Namespace) -> dict:
    os.environ[KEY_ENV] = "bench"
    script = reference_script([load_mcp_tasks(TASKS)])
    episodes = errors = 0
    asr_k = asr_n = 0
    started = time.perf_counter()
    async with running_stub(delay=0.0, agent=agent, agent_script=script) as url:
        with tempfile.TemporaryDirectory() as runs:
            for seed in range(args.repeat):
                config = AgentRunConfig(
                    mcp=McpEnvironmentConfig(
                        server=server, tasks=TASKS, env=SERVER_ENV, timeout_seconds=300
                    ),
                    target=TargetSpec(
                        kind="openai", model="stub", base_url=url, api_key_env=KEY_ENV
                    ),
                    seed=seed,
                    engine=EngineSettings(concurrency=args.concurrency, cache=False),
                )
                result = await run_agent_suites(config, store=RunStore(Path(runs)), progress=False)
                episodes += result.episodes
                errors += result.errors
                row = next(r for r in result.metrics if r.suite.startswith("mcp:"))
                asr_k += row.targeted_asr.k
                asr_n += row.targeted_asr.n
    seconds = time.perf_counter() - started
    return {
        "agent": agent,
        "episodes": episodes,
        "errors": errors,
        "targeted_asr": f"{asr_k}/{asr_n}",
        "seconds": round(seconds, 1),
        "episodes_per_minute": round(60 * episodes / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="oracle,follow")
    parser.add_argument("--repeat", type=int, default=4, help="runs of the task file")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    args = parser.parse_args()
    process = None
    server = " ".join(SERVER)
    if args.transport == "http":
        process = subprocess.Popen(
            [*SERVER, "--http-port", "0"], stdout=subprocess.PIPE, text=True, env=SERVER_ENV
        )
        assert process.stdout is not None
        server = process.stdout.readline().strip()
    try:
        rows = [asyncio.run(run_agent(a, server, args)) for a in args.agents.split(",")]
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=60)
    for row in rows:
        print(json.dumps({"transport": args.transport, **row}))


if __name__ == "__main__":
    main()
