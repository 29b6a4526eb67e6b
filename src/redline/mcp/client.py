"""Talking to an MCP server with the official SDK: list its tools, call them.

:class:`McpServer` names a server command (``"CMD ARGS"``, spoken to over
stdio) or a Streamable HTTP URL (``http://HOST:PORT/mcp``); :func:`fetch_tools`
lists its tools; :class:`AsyncMcpTools` keeps a session open for calls from async
code and :class:`McpTools` does the same for synchronous callers (an agent
environment), running the session on a private event loop thread.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from redline.core.errors import ConfigError, RedlineError

# What the server's stderr tail shows in an error.
_STDERR_TAIL_CHARS = 2000


class McpServerError(RedlineError):
    """The MCP server would not start, speak the protocol, or answer in time (exit 3)."""


@dataclass(frozen=True)
class McpTool:
    """One tool a server offers: its name, description and JSON Schema for arguments."""

    name: str
    description: str
    input_schema: dict[str, Any]
    server: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The tool in the OpenAI ``tools`` shape an agent harness can hand a model."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.input_schema,
            },
        }


@dataclass(frozen=True)
class ToolCallResult:
    """What a tool call returned: its text content joined, and whether it is an error."""

    text: str
    is_error: bool = False


_URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class McpServer:
    """A server started as ``command args...`` and spoken to over its stdin/stdout,
    or (``url`` set) one already listening for Streamable HTTP.

    A started server gets only a minimal environment (the SDK's safe variables:
    PATH, HOME, ...) plus ``env``: secrets in the caller's environment do not
    reach a server being scanned unless named.
    """

    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 60.0
    url: str | None = None

    @classmethod
    def parse(
        cls,
        command_line: str,
        *,
        env: Mapping[str, str] | None = None,
        pass_env: Sequence[str] = (),
        timeout_seconds: float = 60.0,
        option: str = "--server",
    ) -> McpServer:
        """``"CMD ARGS"`` split like a shell would, or an ``http(s)://`` URL;
        ``pass_env`` names variables to pass through from this process's
        environment; ``option`` names the setting in errors."""
        if command_line.strip().startswith(_URL_SCHEMES):
            return cls(url=command_line.strip(), timeout_seconds=timeout_seconds)
        try:
            parts = shlex.split(command_line)
        except ValueError as exc:
            raise ConfigError(f"{option} {command_line!r}: {exc}") from None
        if not parts:
            raise ConfigError(f"{option}: empty command")
        if shutil.which(parts[0]) is None:
            raise ConfigError(f"{option}: command not found: {parts[0]}")
        passed = {name: os.environ[name] for name in pass_env if name in os.environ}
        return cls(
            command=parts[0],
            args=tuple(parts[1:]),
            env={**passed, **(env or {})},
            timeout_seconds=timeout_seconds,
        )

    @property
    def label(self) -> str:
        return self.url or shlex.join([self.command, *self.args])

    def parameters(self) -> StdioServerParameters:
        from mcp.client.stdio import get_default_environment

        return StdioServerParameters(
            command=self.command,
            args=list(self.args),
            env={**get_default_environment(), **self.env},
        )


def _stderr_tail(log: IO[str]) -> str:
    log.seek(0)
    text = log.read()[-_STDERR_TAIL_CHARS:].strip()
    return f"; server stderr: {text}" if text else ""


@asynccontextmanager
async def _connected(server: McpServer) -> AsyncIterator[Client]:
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        # A URL is the SDK's Streamable HTTP client; a command its stdio transport.
        transport = server.url or stdio_client(server.parameters(), errlog=log)
        try:
            async with Client(transport, read_timeout_seconds=server.timeout_seconds) as client:
                yield client
        except RedlineError:
            raise
        except Exception as exc:  # the SDK raises its own errors, OSError and anyio groups
            raise McpServerError(
                f"MCP server {server.label!r} failed: {_describe(exc)}{_stderr_tail(log)}"
            ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    return f"{type(exc).__name__}: {exc}"


async def _list_all(client: Client, server: McpServer) -> list[McpTool]:
    tools: list[McpTool] = []
    cursor: str | None = None
    while True:
        with anyio.fail_after(server.timeout_seconds):
            page = await client.list_tools(cursor=cursor)
        tools += [
            McpTool(
                name=tool.name,
                description=tool.description or "",
                input_schema=dict(tool.input_schema or {}),
                server=server.label,
            )
            for tool in page.tools
        ]
        cursor = page.next_cursor
        if not cursor:
            return tools


class AsyncMcpTools:
    """An open session with one server, for async code::

    async with AsyncMcpTools(server) as tools:
        listed = await tools.list_tools()
        result = await tools.call_tool("get_weather", {"city": "Lisbon"})
    """

    def __init__(self, server: McpServer) -> None:
        self.server = server
        self._client: Client | None = None
        self._context: AbstractAsyncContextManager[Client] | None = None

    async def __aenter__(self) -> AsyncMcpTools:
        self._context = _connected(self.server)
        self._client = await self._context.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._context is not None:
            await self._context.__aexit__(exc_type, exc, traceback)
        self._client = self._context = None

    def _session(self) -> Client:
        if self._client is None:
            raise RuntimeError("AsyncMcpTools is not open: use `async with`")
        return self._client

    async def list_tools(self) -> list[McpTool]:
        return await _list_all(self._session(), self.server)

    async def call_tool(self, name: str, arguments: Mapping[str, Any]) -> ToolCallResult:
        try:
            with anyio.fail_after(self.server.timeout_seconds):
                result = await self._session().call_tool(name, dict(arguments))
        except TimeoutError:
            raise McpServerError(
                f"MCP tool {name!r} did not answer within {self.server.timeout_seconds:g} s"
            ) from None
        texts = [getattr(part, "text", "") for part in result.content]
        return ToolCallResult(text="\n".join(t for t in texts if t), is_error=result.is_error)


class McpTools(AbstractContextManager["McpTools"]):
    """The same session for synchronous code (an agent environment)::

    with McpTools(McpServer.parse("python -m my_server")) as tools:
        specs = tools.list_tools()
        print(tools.call_tool("get_weather", {"city": "Lisbon"}).text)
    """

    def __init__(self, server: McpServer) -> None:
        self.server = server
        self._portal_context: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._session: AbstractContextManager[AsyncMcpTools] | None = None
        self._tools: AsyncMcpTools | None = None

    def __enter__(self) -> McpTools:
        self._portal_context = start_blocking_portal()
        self._portal = self._portal_context.__enter__()
        # One task enters and leaves the session: anyio's cancel scopes require it.
        self._session = self._portal.wrap_async_context_manager(AsyncMcpTools(self.server))
        try:
            self._tools = self._session.__enter__()
        except BaseException:
            self._portal_context.__exit__(None, None, None)
            self._portal = self._portal_context = self._session = None
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._session is not None:
                self._session.__exit__(None, None, None)
        finally:
            if self._portal_context is not None:
                self._portal_context.__exit__(None, None, None)
            self._portal = self._portal_context = self._session = self._tools = None

    def _open(self) -> tuple[BlockingPortal, AsyncMcpTools]:
        if self._portal is None or self._tools is None:
            raise RuntimeError("McpTools is not open: use `with McpTools(...) as tools`")
        return self._portal, self._tools

    def list_tools(self) -> list[McpTool]:
        portal, tools = self._open()
        return portal.call(tools.list_tools)

    def call_tool(self, name: str, arguments: Mapping[str, Any]) -> ToolCallResult:
        portal, tools = self._open()
        result: ToolCallResult = portal.call(tools.call_tool, name, arguments)
        return result


def fetch_tools(server: McpServer) -> list[McpTool]:
    """Start ``server``, list every tool (all pages), and stop it."""

    async def listing() -> list[McpTool]:
        async with AsyncMcpTools(server) as tools:
            return await tools.list_tools()

    return anyio.run(listing)
