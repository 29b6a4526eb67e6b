"""Dashboard speed on a large run: index build once, then run-page loads.

    PYTHONPATH=src python bench/ui_large_run.py [--attempts 100000] [--repeats 7]

Writes a synthetic run (``redline.testing.synthetic_runs``: 5 categories, 3
attacks, 2 epochs, two scorers, some errors and multi-turn tool traces) into a
temporary runs dir, builds its index, serves the dashboard with uvicorn on
127.0.0.1 and times page loads over HTTP (server time + transfer, median of
``--repeats`` after one warm-up) and, where chromium is installed, a full
browser load of the run page (navigation start to the load event). Prints a
markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from redline.store import RunStore
from redline.testing.synthetic_runs import write_synthetic_run
from redline.ui import UiSettings, create_app
from redline.ui.run_index import IndexCache

RUN_ID = "20260101-000000-bbbbbb"


def _serve(settings: UiSettings) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def _time(client: httpx.Client, url: str, repeats: int) -> tuple[float, int]:
    response = client.get(url)  # warm-up (opens the index)
    response.raise_for_status()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(samples), len(response.content)


def _browser_load(url: str, repeats: int) -> float | None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(url)
        samples = []
        for _ in range(repeats):
            page.goto(url, wait_until="load")
            samples.append(
                page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.loadEventEnd - n.startTime; }"
                )
                / 1000
            )
        browser.close()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        started = time.perf_counter()
        handle = write_synthetic_run(RunStore(root), run_id=RUN_ID, attempts=args.attempts)
        written = time.perf_counter() - started
        size_mb = (handle.attempts_path.stat().st_size + handle.scores_path.stat().st_size) / 1e6
        cache = Path(tmp) / "cache"
        started = time.perf_counter()
        indexes = IndexCache(cache)
        indexes.get(handle)
        built = time.perf_counter() - started
        indexes.close()
        index_mb = (cache / f"{RUN_ID}.duckdb").stat().st_size / 1e6
        url, server, thread = _serve(UiSettings(runs_dir=root, cache_dir=cache))
        rows = []
        try:
            with httpx.Client(timeout=600) as client:
                first = client.get(f"{url}/runs/{RUN_ID}").text
                attempt = first.split('data-id="')[1].split('"')[0]
                pages = {
                    "run page, first page": f"/runs/{RUN_ID}",
                    "run page, page 1000": f"/runs/{RUN_ID}?page_number=1000",
                    "filter outcome=attack_success": f"/runs/{RUN_ID}?outcome=attack_success",
                    "full-text search 'volcano'": f"/runs/{RUN_ID}?q=volcano",
                    "search + category + attack": (
                        f"/runs/{RUN_ID}?q=volcano&category=S9&attack=base64"
                    ),
                    "scorers disagree": f"/runs/{RUN_ID}?disagree=1",
                    "transcript page": f"/runs/{RUN_ID}/t/{attempt}",
                    "runs list": "/",
                }
                for name, path in pages.items():
                    seconds, size = _time(client, url + path, args.repeats)
                    rows.append((name, seconds, size))
            browser = _browser_load(f"{url}/runs/{RUN_ID}", args.repeats)
        finally:
            server.should_exit = True
            thread.join(30)
    print(f"{args.attempts} attempts ({size_mb:.0f} MB of JSONL), written in {written:.1f} s; "
          f"index built once in {built:.1f} s ({index_mb:.0f} MB); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print()
    print("| page | median time (s) | bytes |")
    print("|---|---|---|")
    for name, seconds, size in rows:
        print(f"| {name} | {seconds:.3f} | {size:,} |")
    if browser is not None:
        print(f"| run page in chromium (navigation to load event) | {browser:.3f} | |")


if __name__ == "__main__":
    main()
