"""The stub's own floor: how close a bare client gets to the physical limit.

A minimal asyncio client (raw HTTP/1.1 on C keep-alive connections, reading
nothing of a reply but its length) sends ROUNDS rounds of C chat requests to the
stub that ``whole_process.py`` measures redline against. What it spends over
ROUNDS x delay is the stub's (its server, its timers) plus the least any client
pays, so no scan can get nearer the limit than this.

    python bench/stub_floor.py [--concurrency 32] [--rounds 62] [--delay 0.05]
                               [--stub-cpu N] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from engine_overhead import start_stub

BODY = json.dumps(
    {"model": "stub", "messages": [{"role": "user", "content": "Benchmark prompt"}]}
).encode()
REQUEST = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: stub\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY
)


async def _connection(port: int, rounds: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            writer.write(REQUEST)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _measure(port: int, concurrency: int, rounds: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, rounds, latencies) for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=62, help="requests per connection")
    parser.add_argument("--delay", type=float, default=0.05, help="the stub's latency, seconds")
    parser.add_argument("--stub-cpu", type=int, help="pin the stub to this CPU")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.repeat):
        stub, base_url = start_stub(delay=args.delay, fail_rate=0.0)
        try:
            if args.stub_cpu is not None:
                os.sched_setaffinity(stub.pid, {args.stub_cpu})
            port = int(base_url.rsplit(":", 1)[1].split("/")[0])
            wall, latencies = asyncio.run(_measure(port, args.concurrency, args.rounds))
        finally:
            stub.terminate()
            stub.wait()
        ideal = args.rounds * args.delay
        print(
            json.dumps(
                {
                    "concurrency": args.concurrency,
                    "requests": len(latencies),
                    "wall_s": round(wall, 3),
                    "ideal_s": round(ideal, 3),
                    "ratio": round(wall / ideal, 3),
                    "mean_latency_ms": round(1000 * sum(latencies) / len(latencies), 2),
                }
            )
        )


if __name__ == "__main__":
    main()
