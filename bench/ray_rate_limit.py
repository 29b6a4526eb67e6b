"""The Ray executor's cluster-wide rate limit: the request rate the stub saw, against the
limit, with 2 worker actors on a local Ray cluster.

    python bench/ray_rate_limit.py [--rpm 3000] [--attempts 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import urllib.request

import ray
from engine_overhead import start_stub

from redline.core import Attempt, GenerationParams, Message
from redline.engine import Job
from redline.engine.ray_executor import RayExecutor
from redline.targets.spec import TargetSpec


def jobs(count: int) -> list[Job]:
    params = GenerationParams(max_tokens=8)
    return [
        Job(
            attempt=Attempt(
                id=f"a{i}",
                run_id="bench",
                behavior_id=f"b{i}",
                category="bench",
                expected="refuse",
                target="openai:stub",
                messages=[Message(role="user", content=f"prompt {i}")],
            ),
            params=params,
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpm", type=float, default=3000.0)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    stub, base_url = start_stub(delay=0.05, fail_rate=0.0)
    try:
        executor = RayExecutor(
            TargetSpec(kind="openai", model="stub", base_url=base_url),
            workers=args.workers,
            concurrency=64,
            requests_per_minute=args.rpm,
        )
        asyncio.run(executor.run(jobs(args.attempts), lambda a: None, total=args.attempts))
        root = base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/stats?arrivals=1", timeout=10) as response:
            arrivals = sorted(json.loads(response.read())["arrivals"])
    finally:
        stub.terminate()
        stub.wait()
        ray.shutdown()
    limit = args.rpm / 60
    skip = int(limit * 2)  # the one-second burst and the workers' staggered start
    steady = (len(arrivals) - 1 - skip) / (arrivals[-1] - arrivals[skip])
    overall = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(
        json.dumps(
            {
                "workers": args.workers,
                "attempts": args.attempts,
                "limit_per_s": round(limit, 2),
                "steady_rate_per_s": round(steady, 2),
                "steady_ratio": round(steady / limit, 4),
                "overall_rate_per_s": round(overall, 2),
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
