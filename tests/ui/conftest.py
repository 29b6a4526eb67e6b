"""A runs directory with readable, broken and partial runs, and the dashboard served
from it by uvicorn on 127.0.0.1 (a socket bound before the server starts, so the
first request simply waits in the listen queue: no polling)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from redline.core import Attempt, Message
from redline.store import RunStore
from redline.testing.synthetic_runs import write_synthetic_run
from redline.ui import UiSettings, create_app

RUN_A = "20260101-000000-aaaaaa"
RUN_B = "20260102-000000-bbbbbb"
SCRIPT_PAYLOAD = "<script>window.__pwned = 1</script><img src=x onerror=window.__pwned=2>"
RUN_XSS = "20260104-000000-xxxxxx"


def make_runs(root: Path) -> Path:
    store = RunStore(root)
    write_synthetic_run(store, run_id=RUN_A, attempts=150)
    write_synthetic_run(
        store, run_id=RUN_B, attempts=150, target="openai:other", shift=1,
        created_at="2026-01-02T00:00:00.000+00:00",
    )  # fmt: skip
    (root / "broken-run").mkdir()
    (root / "broken-run" / "run.json").write_text('{"id": 5', encoding="utf-8")
    (root / "partial-run").mkdir()
    (root / "partial-run" / "attempts.jsonl").write_text("", encoding="utf-8")
    hostile = write_synthetic_run(store, run_id=RUN_XSS, attempts=3)
    payload = Attempt(
        id="xss-1", run_id=RUN_XSS, behavior_id="xss", category="S1", expected="refuse",
        target="local", messages=[Message(role="user", content=f"quokka {SCRIPT_PAYLOAD}")],
        response=f"echo {SCRIPT_PAYLOAD}",
    )  # fmt: skip
    hostile.append_attempt(payload)
    hostile.close()
    corrupt = write_synthetic_run(store, run_id="20260103-000000-cccccc", attempts=10)
    with corrupt.attempts_path.open("a", encoding="utf-8") as f:
        f.write("{not json\n" + json.dumps({"id": "x"}) + "\n")
    return root


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    return make_runs(tmp_path_factory.mktemp("ui") / "runs")


@contextmanager
def serving(settings: UiSettings) -> Iterator[str]:
    """Serve the dashboard; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[Callable[..., str]]:
    """``serve(runs_dir, allow_writes=False, auth_token=None, guard_files=())`` -> base URL."""
    stack: list = []

    def start(runs_dir: Path, **options) -> str:
        settings = UiSettings(
            runs_dir=runs_dir, cache_dir=tmp_path_factory.mktemp("cache"), **options
        )
        context = serving(settings)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture(scope="module")
def base_url(serve, runs_dir) -> str:
    return serve(runs_dir)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as http:
        yield http
