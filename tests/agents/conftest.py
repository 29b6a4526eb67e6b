"""Agent runs against the OpenAI-compatible stub playing scripted reference agents."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from redline.agents import AgentRunConfig, AgentRunResult, reference_script, run_agent_suites
from redline.run import EngineSettings
from redline.store import RunStore
from redline.targets import TargetSpec
from redline.testing.openai_stub import running_stub

STUB_KEY_ENV = "REDLINE_TEST_STUB_KEY"


@asynccontextmanager
async def _stub_agent(agent: str, suites: list[str]) -> AsyncIterator[TargetSpec]:
    """A stub on loopback playing ``agent``; yields the target spec that reaches it."""
    os.environ[STUB_KEY_ENV] = "stub"
    async with running_stub(delay=0.0, agent=agent, agent_script=reference_script(suites)) as url:
        yield TargetSpec(kind="openai", model="stub", base_url=url, api_key_env=STUB_KEY_ENV)


@pytest.fixture
def run_against_stub(tmp_path: Path) -> Callable[..., object]:
    """``await run(agent, suites=[...], **config)``: an agent run against the stub."""

    async def run(agent: str, *, suites: list[str], **config: object) -> AgentRunResult:
        async with _stub_agent(agent, suites) as spec:
            settings = EngineSettings(concurrency=4, cache=False)
            run_config = AgentRunConfig(suites=suites, target=spec, engine=settings, **config)  # type: ignore[arg-type]
            return await run_agent_suites(
                run_config, store=RunStore(tmp_path / "runs"), progress=False
            )

    return run


@pytest.fixture
def stub_agent() -> Callable[[str, list[str]], Any]:
    """``async with stub_agent(agent, suites) as target_spec``: one stub for several runs."""
    return _stub_agent


@contextmanager
def _stub_in_thread(agent: str, suites: list[Any]) -> Iterator[str]:
    """A stub playing ``agent`` served from its own thread (for CLI tests, which run
    their own event loop); yields its URL. The key variable is set for the CLI."""
    os.environ[STUB_KEY_ENV] = "stub"
    ready = threading.Event()
    stop: dict[str, Any] = {}

    async def serve() -> None:
        script = reference_script(suites)
        async with running_stub(delay=0.0, agent=agent, agent_script=script) as url:
            stop["event"] = asyncio.Event()
            stop["url"] = url
            stop["loop"] = asyncio.get_running_loop()
            ready.set()
            await stop["event"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        yield str(stop["url"])
    finally:
        stop["loop"].call_soon_threadsafe(stop["event"].set)
        thread.join()


@pytest.fixture
def stub_in_thread() -> Callable[[str, list[Any]], Any]:
    """``with stub_in_thread(agent, suites) as url``: a stub for CLI runs."""
    return _stub_in_thread
