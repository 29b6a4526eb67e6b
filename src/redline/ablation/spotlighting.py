"""Spotlighting as an ablation arm: the user's text is marked before the model sees it.

Three modes from Hines et al. (2024): ``delimit`` (markers around the text),
``datamark`` (a symbol in place of every space) and ``base64`` (the text
encoded), each with a system instruction saying how the text is marked
(``spotlighting.yaml``). Registered as target kind ``spotlit`` so the arm runs
through the run loop like any target: ``options = {"inner": <spec>, "mode": MODE}``.
The stored attempt keeps the prompt as planned; the marking happens on the way out.
"""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources
from typing import Any

import yaml

from redline.core import Completion, ConfigError, GenerationParams, Message
from redline.targets import build_target
from redline.targets.base import TARGETS, Target
from redline.targets.spec import TargetSpec

SPOTLIT_KIND = "spotlit"


@cache
def spotlighting_modes() -> dict[str, dict[str, str]]:
    """The modes and their instructions, from ``spotlighting.yaml``."""
    text = resources.files("redline.ablation").joinpath("spotlighting.yaml").read_text("utf-8")
    modes: dict[str, dict[str, str]] = yaml.safe_load(text)
    return modes


def mark_text(text: str, mode: str) -> str:
    """``text`` marked the way ``mode`` says."""
    if mode == "delimit":
        return f"<<USER_TEXT>>\n{text}\n<</USER_TEXT>>"
    if mode == "datamark":
        return text.replace(" ", spotlighting_modes()["datamark"]["marker"])
    if mode == "base64":
        return base64.b64encode(text.encode("utf-8")).decode("ascii")
    raise ConfigError(
        f"spotlighting: unknown mode {mode!r} (known: {', '.join(spotlighting_modes())})"
    )


def spotlight(messages: list[Message], mode: str) -> list[Message]:
    """The conversation with user texts marked and the mode's instruction in the system
    prompt (after the arm's own system prompt, when there is one)."""
    instruction = spotlighting_modes()[mode]["instruction"]
    marked = [
        m.model_copy(update={"content": mark_text(m.content, mode)}) if m.role == "user" else m
        for m in messages
    ]
    system = [m for m in marked if m.role == "system"]
    rest = [m for m in marked if m.role != "system"]
    if system:
        head = system[0]
        merged = head.model_copy(update={"content": f"{head.content}\n\n{instruction}"})
        return [merged, *system[1:], *rest]
    return [Message(role="system", content=instruction), *rest]


@TARGETS.register(SPOTLIT_KIND)
class SpotlitTarget:
    """``inner`` receiving spotlighted conversations."""

    def __init__(self, inner: Target, mode: str) -> None:
        if mode not in spotlighting_modes():
            raise ConfigError(
                f"spotlighting: unknown mode {mode!r} (known: {', '.join(spotlighting_modes())})"
            )
        self.inner = inner
        self.mode = mode
        self.name = f"spotlit[{mode}]:{inner.name}"

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> SpotlitTarget:
        options: dict[str, Any] = dict(spec.options)
        if "inner" not in options:
            raise ConfigError("target spotlit: options.inner (the model's spec) is missing")
        inner = build_target(TargetSpec.model_validate(options["inner"]), timeout=timeout)
        return cls(inner, str(options.get("mode", "delimit")))

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        return await self.inner.generate(spotlight(messages, self.mode), params)

    async def aclose(self) -> None:
        await self.inner.aclose()


def spotlit_spec(inner: TargetSpec, mode: str) -> TargetSpec:
    """The spec of ``inner`` receiving conversations spotlighted with ``mode``."""
    return TargetSpec(
        kind=SPOTLIT_KIND, options={"inner": inner.model_dump(mode="json"), "mode": mode}
    )
