"""The Target protocol: anything that turns a conversation into a completion."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from redline.core import Completion, GenerationParams, Message, Registry


@runtime_checkable
class Target(Protocol):
    """A model or application under test.

    ``name`` identifies the target in attempt ids and reports (no secrets in it).
    ``generate`` raises the :class:`redline.core.TargetError` family on failure:
    ``TargetAuthError`` stops a run, ``TargetTransientError`` is retried by the
    engine, everything else is recorded as the attempt's error.
    """

    name: str

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion: ...

    async def aclose(self) -> None: ...


# Factories take keyword options (model=, base_url=, ...) and return a Target.
TARGETS: Registry[type] = Registry("target", group="redline.targets")
