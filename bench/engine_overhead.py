"""Engine overhead: 10,000 single-turn attempts at concurrency 64 against an
OpenAI-compatible stub on 127.0.0.1 that answers after 50 ms.

The physical limit is attempts x delay / concurrency (7.8 s for the defaults);
the figure is how close a full scan (engine, store writes and scoring) gets to
it, and the peak RSS of the redline process. A second pass has the stub fail a
share of requests with HTTP 500 and checks every attempt still completes.

    python bench/engine_overhead.py [--attempts 10000] [--concurrency 64] [--delay 0.05]
                                    [--scorer refusal]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from redline.run import Campaign, run_campaign
from redline.store import RunStore
from redline.targets.spec import TargetSpec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stub(*, delay: float, fail_rate: float) -> tuple[subprocess.Popen[bytes], str]:
    """The stub runs in its own process so its CPU is not the scanner's."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "redline.testing.openai_stub",
        "--port",
        str(port),
        "--delay",
        str(delay),
        "--fail-rate",
        str(fail_rate),
    ]
    process = subprocess.Popen(command)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=1).read()
            return process, base_url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the stub server did not start")


def write_prompts(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            record = {"id": f"bench-{index}", "prompt": f"Benchmark prompt number {index}."}
            handle.write(json.dumps(record) + "\n")


def run_pass(
    *, attempts: int, concurrency: int, delay: float, fail_rate: float, scorer: str
) -> dict[str, object]:
    stub, base_url = start_stub(delay=delay, fail_rate=fail_rate)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prompts = Path(tmp) / "prompts.jsonl"
            write_prompts(prompts, attempts)
            campaign = Campaign(
                target=TargetSpec(kind="openai", model="stub", base_url=base_url),
                prompts=[prompts],
                concurrency=concurrency,
                cache=False,
                max_retries=20,
                scorers=[scorer],
            )
            started = time.perf_counter()
            result = asyncio.run(
                run_campaign(campaign, store=RunStore(Path(tmp) / "runs"), progress=False)
            )
            end_to_end = time.perf_counter() - started
    finally:
        stub.terminate()
        stub.wait()
    limit = attempts * delay / concurrency
    engine = result.engine
    return {
        "attempts": attempts,
        "scorer": scorer,
        "concurrency": concurrency,
        "stub_delay_s": delay,
        "stub_fail_rate": fail_rate,
        "physical_limit_s": round(limit, 2),
        "engine_wall_s": round(engine.wall_s, 2),
        "engine_ratio": round(engine.wall_s / limit, 3),
        "end_to_end_s": round(end_to_end, 2),
        "end_to_end_ratio": round(end_to_end / limit, 3),
        "completed": engine.completed,
        "errors": sum(engine.errors.values()),
        "retries": engine.retries,
        "requests_sent": engine.requests_sent,
        "status": result.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--scorer", default="refusal", help="scorer applied to every attempt")
    args = parser.parse_args()
    clean = run_pass(
        attempts=args.attempts,
        concurrency=args.concurrency,
        delay=args.delay,
        fail_rate=0.0,
        scorer=args.scorer,
    )
    print(json.dumps({"pass": "clean", **clean}))
    faulty = run_pass(
        attempts=args.attempts,
        concurrency=args.concurrency,
        delay=args.delay,
        fail_rate=args.fail_rate,
        scorer=args.scorer,
    )
    print(json.dumps({"pass": "5% HTTP 500", **faulty}))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    main()
