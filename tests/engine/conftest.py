"""In-process fake targets: the fault is injected here, the engine behaviour is real."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from redline.core import Attempt, Completion, GenerationParams, Message, Usage
from redline.engine import Job

# behaviour(call_number, messages) -> Completion, or raises; may be async.
Behaviour = Callable[[int, list[Message]], Any]


class FakeTarget:
    """Records every call, in-flight peaks and call times; answers per ``behaviour``."""

    def __init__(self, *, delay: float = 0.0, behaviour: Behaviour | None = None) -> None:
        self.name = "fake:echo"
        self.delay = delay
        self.behaviour = behaviour
        self.calls = 0
        self.call_times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        self.calls += 1
        number = self.calls
        self.call_times.append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.behaviour is not None:
                result = self.behaviour(number, messages)
                if asyncio.iscoroutine(result):
                    result = await result
                if result is not None:
                    return result
            text = f"echo: {messages[-1].content}"
            return Completion(
                text=text,
                finish_reason="stop",
                usage=Usage(prompt_tokens=len(messages[-1].content), completion_tokens=5),
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        self.closed = True


def make_job(index: int, *, max_tokens: int = 16, epoch: int = 0, prompt: str | None = None) -> Job:
    text = prompt if prompt is not None else f"prompt number {index}"
    attempt = Attempt(
        id=f"a{index:05d}",
        run_id="run-test",
        behavior_id=f"b{index}",
        category="test",
        expected="refuse",
        target="fake:echo",
        epoch=epoch,
        messages=[Message(role="user", content=text)],
    )
    return Job(attempt=attempt, params=GenerationParams(max_tokens=max_tokens))


@pytest.fixture
def jobs() -> Callable[[int], list[Job]]:
    """``jobs(n)``: n single-turn jobs with distinct prompts."""
    return lambda n: [make_job(i) for i in range(n)]


@pytest.fixture
def job_factory() -> Callable[..., Job]:
    return make_job


@pytest.fixture
def fake() -> type[FakeTarget]:
    return FakeTarget
