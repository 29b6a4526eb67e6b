"""Time of `mcp-scan` for an MCP server with N tools.

For each N, starts ``python -m redline.testing.mcp_stub --generate N`` (ordinary
tools with two typed parameters) and measures: listing the tools over stdio
(server start-up included) and scanning them, with the guard's phrase rules only
and with its classifiers (loaded once beforehand; the load time is printed).

    python bench/mcp_scan_time.py --tools 10 100 500
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import redline
from redline.mcp import McpServer, PoisoningScanner, fetch_tools, scan_guard

SRC = str(Path(redline.__file__).resolve().parents[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, nargs="+", default=[10, 100, 500])
    args = parser.parse_args()
    started = time.perf_counter()
    with_models = PoisoningScanner(guard=scan_guard())
    load_s = time.perf_counter() - started
    rules_only = PoisoningScanner(guard=scan_guard(models=False))
    rows = []
    for count in args.tools:
        server = McpServer.parse(
            f"{sys.executable} -m redline.testing.mcp_stub --generate {count}",
            env={"PYTHONPATH": SRC},
            timeout_seconds=300,
        )
        started = time.perf_counter()
        tools = fetch_tools(server)
        listed = time.perf_counter() - started
        timings = {}
        for name, scanner in (("rules", rules_only), ("rules+classifiers", with_models)):
            started = time.perf_counter()
            report = scanner.scan(tools)
            timings[name] = round(time.perf_counter() - started, 3)
            assert not report.findings, report.findings[:3]
        rows.append({"tools": len(tools), "list_s": round(listed, 2), "scan_s": timings})
    print(json.dumps({"load": os.getloadavg()[0], "guard_load_s": round(load_s, 2),
                      "rows": rows}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
