"""Checking that targets answer: one short request each, with latency and reply."""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel, ConfigDict

from redline.core import AttemptError, GenerationParams, Message, RedlineError, Usage
from redline.targets.base import Target

DEFAULT_CHECK_PROMPT = "Reply with the word OK."


class TargetCheck(BaseModel):
    """The outcome of one check request."""

    model_config = ConfigDict(extra="forbid")
    target: str
    ok: bool
    latency_s: float
    reply: str | None = None
    error: AttemptError | None = None
    usage: Usage = Usage()


async def check_target(
    target: Target,
    *,
    prompt: str = DEFAULT_CHECK_PROMPT,
    params: GenerationParams | None = None,
) -> TargetCheck:
    """Send ``prompt`` once; never raises for a failed call (the error is in the result)."""
    params = params or GenerationParams(max_tokens=16)
    started = time.perf_counter()
    try:
        completion = await target.generate([Message(role="user", content=prompt)], params)
    except Exception as exc:
        kind = getattr(exc, "kind", None) or (
            "config" if isinstance(exc, RedlineError) else "internal"
        )
        return TargetCheck(
            target=target.name,
            ok=False,
            latency_s=round(time.perf_counter() - started, 4),
            error=AttemptError(
                kind=kind,
                message=str(exc) or type(exc).__name__,
                status=getattr(exc, "status", None),
            ),
        )
    return TargetCheck(
        target=target.name,
        ok=True,
        latency_s=round(time.perf_counter() - started, 4),
        reply=completion.text,
        usage=completion.usage,
    )


async def check_targets(
    targets: list[Target],
    *,
    prompt: str = DEFAULT_CHECK_PROMPT,
    params: GenerationParams | None = None,
) -> list[TargetCheck]:
    """Check several targets concurrently, in the order given."""
    return list(
        await asyncio.gather(*(check_target(t, prompt=prompt, params=params) for t in targets))
    )
