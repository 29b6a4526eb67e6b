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

    A target that can only answer a few requests at once (the in-process model
    answers one) says so with an optional ``max_in_flight`` attribute; the
    engine then never sends it more, so requests wait in the engine, where the
    wait is not counted against the request timeout, instead of in the
    target's own queue, where it would be (see :func:`in_flight_limit`).
    """

    name: str

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion: ...

    async def aclose(self) -> None: ...


def in_flight_limit(target: object, concurrency: int) -> int:
    """How many requests to keep in flight to ``target``: ``concurrency``, capped by
    the target's ``max_in_flight`` when it declares one."""
    limit = getattr(target, "max_in_flight", None)
    return min(concurrency, limit) if isinstance(limit, int) and limit >= 1 else concurrency


# The built-in targets and the modules that register them: a look-up imports only
# the module of the kind it names (a scan of an OpenAI-compatible server does not
# import the Anthropic, HTTP-app or bundled-model targets before its first request).
BUILTIN_TARGET_MODULES = {
    "openai": "redline.targets.openai_chat",
    "anthropic": "redline.targets.anthropic_messages",
    "http": "redline.targets.http_app",
    "local": "redline.targets.local_llama",
    "python": "redline.targets.python_callable",
}
# Factories take keyword options (model=, base_url=, ...) and return a Target.
TARGETS: Registry[type] = Registry(
    "target", group="redline.targets", builtin_modules=BUILTIN_TARGET_MODULES
)
