"""Tool implementations, one module per suite, over :class:`~redline.agents.state.ToolContext`.

A tool is a function ``(ctx, **arguments) -> str`` registered with
:func:`tool` under its suite; ``common`` tools are added to every suite. The
text returned is what the model sees; :class:`ToolError` becomes an error
result the model sees too.
"""

from redline.agents.tools import banking, common, team_chat, travel, workspace  # noqa: F401
from redline.agents.tools.registry import TOOLSETS, ToolFunction, show, tool, toolset

__all__ = ["TOOLSETS", "ToolFunction", "show", "tool", "toolset"]
