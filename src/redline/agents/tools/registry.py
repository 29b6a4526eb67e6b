"""Where tool functions are registered, by suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redline.agents.state import ToolContext

ToolFunction = Callable[..., str]
COMMON = "common"
TOOLSETS: dict[str, dict[str, ToolFunction]] = {}


def tool(suite: str, name: str | None = None) -> Callable[[ToolFunction], ToolFunction]:
    """Register a tool function for ``suite`` (``common``: every suite)."""

    def register(function: ToolFunction) -> ToolFunction:
        TOOLSETS.setdefault(suite, {})[name or function.__name__] = function
        return function

    return register


def toolset(suite: str) -> dict[str, ToolFunction]:
    """The suite's tools and the common ones."""
    return {**TOOLSETS.get(suite, {}), **TOOLSETS.get(COMMON, {})}


def show(value: Any) -> str:
    """Records as the model reads them: ``key: value`` lines, a blank line between
    records. Text is shown verbatim (no quoting, escaping or wrapping), as a
    mail client or web page would show it."""
    if isinstance(value, list):
        if not value:
            return "(none)"
        return "\n\n".join(show(item) for item in value)
    if isinstance(value, dict):
        return "\n".join(f"{key}: {_inline(item)}" for key, item in value.items())
    return str(value)


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_inline(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_inline(v)}" for k, v in value.items())
    return str(value)


__all__ = ["COMMON", "TOOLSETS", "ToolContext", "ToolFunction", "show", "tool", "toolset"]
