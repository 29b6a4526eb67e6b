"""Card speed: build and render a system card from 5 runs, in every format.

    PYTHONPATH=src python bench/card_render.py [--runs 5] [--prompts 60] [--repeats 3]

Makes ``--runs`` real runs against the OpenAI stub server on 127.0.0.1 (each:
``--prompts`` prompts, two thirds harmful across six hazard categories, one
third benign, times five attacks: none, base64, rot13, roleplay.fiction,
injection.direct; scored by refusal and canary), then times, ``--repeats``
times each, reading the runs and building the card (every metric over every
run, the crosswalk), and writing it as Markdown, HTML, JSON and PDF (headless
Chromium). Prints the median of each step in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from redline.cards import build_card, gather_inputs, render_card
from redline.run import run_campaign
from redline.run.campaign import Campaign
from redline.store import RunStore

CATEGORIES = ("s1", "s2", "s7", "s9", "s10", "cyber")
ATTACKS = ["none", "base64", "rot13", "roleplay.fiction", "injection.direct"]


def start_stub() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "redline.testing.openai_stub", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=1)
            return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError("stub did not start")


def make_run(root: Path, url: str, index: int, prompts: int) -> str:
    rows = []
    for i in range(prompts):
        harmful = i % 3 != 2
        refuse = " [refuse]" if (i + index) % 4 == 0 else ""
        rows.append(
            {
                "id": f"p{i}",
                "prompt": f"run {index} prompt {i}{refuse}",
                "category": CATEGORIES[i % len(CATEGORIES)] if harmful else "benign",
                "expected": "refuse" if harmful else "comply",
            }
        )
    path = root / f"prompts{index}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    campaign = Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": f"stub-{index}", "base_url": url},
            "prompts": [str(path)],
            "attacks": ATTACKS,
            "scorers": ["refusal", "canary"],
            "generation": {"max_tokens": 32},
        }
    )
    result = asyncio.run(run_campaign(campaign, store=RunStore(root / "runs"), progress=False))
    return result.summary.run_id


def median_seconds(step: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        process, url = start_stub()
        try:
            ids = [make_run(root, url, i, args.prompts) for i in range(args.runs)]
        finally:
            process.terminate()
            process.wait()
        store = RunStore(root / "runs")
        attempts = 0
        for run_id in ids:
            with store.open(run_id) as handle:
                attempts += len(handle.read_attempts())
        print(f"{len(ids)} runs, {attempts} attempts in all")

        def build() -> object:
            return build_card("system", gather_inputs("system", store=store, run_ids=ids))

        results = {"read runs + build card": median_seconds(build, args.repeats)}
        card = build_card("system", gather_inputs("system", store=store, run_ids=ids))
        figures = sum(len(m.figures) for s in card.sections for m in s.metrics)
        for suffix in ("md", "html", "json", "pdf"):
            out = root / f"card.{suffix}"
            results[f"write {suffix}"] = median_seconds(
                lambda out=out: render_card(card, out), args.repeats
            )
            results[f"{suffix} bytes"] = out.stat().st_size
    print(f"{figures} figures on the card")
    for name, value in results.items():
        shown = f"{value:,}" if name.endswith("bytes") else f"{value:.2f} s"
        print(f"{name}: {shown}")


if __name__ == "__main__":
    main()
