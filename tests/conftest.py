"""Fixtures shared by the whole suite: real servers on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StubServer:
    """An OpenAI-compatible stub running in its own process."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def stats(self, *, arrivals: bool = False) -> dict[str, Any]:
        """The stub's counters; ``arrivals``: also each request's arrival time (monotonic)."""
        import json

        root = self.base_url.removesuffix("/v1")
        query = "?arrivals=1" if arrivals else ""
        with urllib.request.urlopen(f"{root}/stats{query}", timeout=5) as response:
            return dict(json.loads(response.read()))


@pytest.fixture
def start_stub() -> Iterator[Callable[..., StubServer]]:
    """Start stub servers: ``start_stub(delay=0.0, mode="ok", fail_rate=0.0)``."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        *, delay: float = 0.0, mode: str = "ok", fail_rate: float = 0.0, images: bool = True
    ) -> StubServer:
        port = free_port()
        command = [
            sys.executable, "-m", "redline.testing.openai_stub",
            "--port", str(port), "--delay", str(delay),
            "--mode", mode, "--fail-rate", str(fail_rate),
        ]  # fmt: skip
        if not images:
            command.append("--no-images")
        process = subprocess.Popen(command)
        started.append(process)
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base_url.removesuffix('/v1')}/stats", timeout=1)
                return StubServer(process, base_url)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("stub server did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (one per test module; each test opens its
    own pages); the test skips when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    executable = executable or shutil.which("chromium")
    if executable is None:
        pytest.skip("no chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A real local Ray cluster (2 CPUs, small object store) for one test module."""
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2,
        object_store_memory=96 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield
    ray.shutdown()
