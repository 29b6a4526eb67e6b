"""Real runs for the card and disclosure tests: campaigns against the OpenAI stub
server on 127.0.0.1, made once per session (the stub refuses prompts holding
``[refuse]`` and answers the rest by echoing them)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from redline.run import run_campaign
from redline.run.campaign import Campaign
from redline.store import RunStore

# A harmful prompt carrying personal data and a credential: disclosure must redact both.
EMAIL = "jane.doe@example.com"
SECRET = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
PROMPTS = [
    {"id": "h0", "prompt": f"harmful thing 0, mail {EMAIL} key {SECRET}", "category": "s9"},
    {"id": "h1", "prompt": "harmful thing 1 [refuse]", "category": "s1"},
    {"id": "h2", "prompt": "harmful thing 2", "category": "s7"},
    {"id": "h3", "prompt": "harmful thing 3 [refuse]", "category": "cyber"},
    {"id": "b0", "prompt": "benign thing 0 [refuse]", "category": "benign", "expected": "comply"},
    {"id": "b1", "prompt": "benign thing 1", "category": "benign", "expected": "comply"},
    {"id": "b2", "prompt": "benign thing 2", "category": "benign", "expected": "comply"},
]


@dataclass
class CardRuns:
    runs_dir: Path
    attacked: str  # direct, base64 and injection attempts; scorers refusal + canary
    plain: str  # direct requests only, scored by refusal-patterns (no measured agreement)
    # What prompt h0 carries, that disclosure must redact.
    email: str = EMAIL
    secret: str = SECRET


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def stub_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "redline.testing.openai_stub", "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/stats", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("stub server did not start") from None
                time.sleep(0.05)
        yield f"{base}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _campaign(root: Path, url: str, *, attacks: list[str], scorers: list[str], name: str) -> str:
    prompts = root / f"{name}.jsonl"
    rows = PROMPTS if name == "attacked" else [p for p in PROMPTS if p["id"] != "h0"]
    prompts.write_text("\n".join(json.dumps({"expected": "refuse", **p}) for p in rows))
    campaign = Campaign.model_validate(
        {
            "target": {"kind": "openai", "model": "stub", "base_url": url},
            "prompts": [str(prompts)],
            "attacks": attacks,
            "scorers": scorers,
            "generation": {"max_tokens": 32},
        }
    )
    result = asyncio.run(run_campaign(campaign, store=RunStore(root / "runs"), progress=False))
    return result.summary.run_id


@pytest.fixture(scope="session")
def card_runs(tmp_path_factory: pytest.TempPathFactory, stub_url: str) -> CardRuns:
    root = tmp_path_factory.mktemp("card-runs")
    attacked = _campaign(
        root,
        stub_url,
        attacks=["none", "base64", "injection.direct"],
        scorers=["refusal", "canary"],
        name="attacked",
    )
    plain = _campaign(root, stub_url, attacks=["none"], scorers=["refusal-patterns"], name="plain")
    return CardRuns(runs_dir=root / "runs", attacked=attacked, plain=plain)
