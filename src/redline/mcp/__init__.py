"""MCP (Model Context Protocol) servers: list and call their tools, scan them for poisoning.

>>> from redline.mcp import McpServer, McpTools, scan_servers
>>> server = McpServer.parse("python -m redline.testing.mcp_stub --tools poisoned")
>>> report = scan_servers([server])          # doctest: +SKIP
>>> with McpTools(server) as tools:            # doctest: +SKIP
...     tools.call_tool("add_numbers", {"a": 1, "b": 2}).text

:class:`McpTools` (and :class:`AsyncMcpTools`) expose a server's tools as
``list_tools()`` / ``call_tool(name, args)``, which is what an agent harness needs
to use them as an environment (docs/agents-security.md).
"""

from redline.mcp.client import (
    AsyncMcpTools,
    McpServer,
    McpServerError,
    McpTool,
    McpTools,
    ToolCallResult,
    fetch_tools,
)
from redline.mcp.poisoning_rules import PoisoningRule, PoisoningRules, Severity, load_rules
from redline.mcp.poisoning_scan import (
    McpScanReport,
    PoisoningFinding,
    PoisoningScanner,
    scan_guard,
    scan_servers,
)

__all__ = [
    "AsyncMcpTools",
    "McpScanReport",
    "McpServer",
    "McpServerError",
    "McpTool",
    "McpTools",
    "PoisoningFinding",
    "PoisoningRule",
    "PoisoningRules",
    "PoisoningScanner",
    "Severity",
    "ToolCallResult",
    "fetch_tools",
    "load_rules",
    "scan_guard",
    "scan_servers",
]
