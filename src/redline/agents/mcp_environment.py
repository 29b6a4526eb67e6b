"""An MCP server's tools as an agent environment (``agent run --mcp-server``).

A task file (YAML) says what to ask an agent that has the server's tools: user
tasks with the calls that solve them and their checks, the attacker goals that
injections in the server's outputs aim at, and each tool's capabilities (a tool
the file does not name is taken to return untrusted text, as any third-party
output is). The server's own state is invisible to redline, so checks read the
trace and the final answer only (``called``, ``answer_has``, ``answer_lacks``).

Every episode starts its own server session (a fresh process for a stdio
server), so one episode's calls cannot leak into the next. Calls go through the
same pre-checks as a suite's (unknown tool, not offered, malformed arguments),
are recorded in the trace, pass the same defences and taint tracking, and a
server that errors or times out on a call gives an ``error`` result the model
sees; the episode goes on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from redline.agents.environment import ToolOutcome, refused_call
from redline.agents.state import AgentState
from redline.agents.suite import Capability, InjectionTask, Suite, ToolDoc, UserTask
from redline.core import ConfigError, content_hash
from redline.core.config_files import YamlDocument, read_yaml
from redline.mcp import AsyncMcpTools, McpServer, McpServerError, McpTool

# The attack label of episodes whose injections come from the server's own outputs.
SERVER_ATTACK = "mcp_server"
SUITE_PREFIX = "mcp:"
# Capabilities of a tool the task file does not describe: its output is untrusted.
UNDESCRIBED_TOOL: tuple[Capability, ...] = ("reads_untrusted",)
_STATE_CHECKS = ("record", "no_record", "value")
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant. Use the tools to do what the user asks."


class McpTaskFile(BaseModel):
    """The task file of an MCP environment (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "server"
    description: str = ""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    tools: dict[str, list[Capability]] = Field(default_factory=dict)
    user_tasks: list[UserTask] = Field(min_length=1)
    injection_tasks: list[InjectionTask] = Field(default_factory=list)


class McpEnvironmentConfig(BaseModel):
    """Where the server is and what to ask of it; part of an agent run's config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # "CMD ARGS" started and spoken to over stdio, or an http(s):// URL.
    server: str
    tasks: Path
    # Set in the server's environment (stored in the run's config: no secrets here).
    env: dict[str, str] = Field(default_factory=dict)
    # Passed through from redline's environment by name (values are not stored).
    pass_env: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=60.0, gt=0)

    def mcp_server(self) -> McpServer:
        """The server to start (ConfigError, exit 2, for a command not on PATH)."""
        return McpServer.parse(
            self.server,
            env=self.env,
            pass_env=self.pass_env,
            timeout_seconds=self.timeout_seconds,
            option="--mcp-server",
        )

    def tasks_hash(self) -> str:
        """The task file's content: an edited file is a new run, not a resume."""
        try:
            return content_hash(self.tasks.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{self.tasks}: cannot read the MCP task file: {exc}") from None


def _state_checks_refused(document: YamlDocument, tasks: McpTaskFile) -> None:
    lists: dict[str, Sequence[UserTask | InjectionTask]] = {
        "user_tasks": tasks.user_tasks,
        "injection_tasks": tasks.injection_tasks,
    }
    for kind, items in lists.items():
        for index, item in enumerate(items):
            for number, check in enumerate(item.checks):
                used = [name for name in _STATE_CHECKS if getattr(check, name) is not None]
                if used:
                    raise document.error(
                        (kind, index, "checks", number),
                        f"{used[0]} checks read a simulated environment's state, which an MCP "
                        "server does not show; use called, answer_has or answer_lacks",
                    )


def load_mcp_tasks(path: Path) -> McpTaskFile:
    """Read and check a task file; problems are ``FILE:LINE: field: problem`` (exit 2)."""
    document = read_yaml(path, what="MCP task file")
    tasks = document.validate(McpTaskFile, description="an MCP task file")
    _state_checks_refused(document, tasks)
    ids = [t.id for t in tasks.user_tasks]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise ConfigError(f"{path}: user_tasks: task id {duplicate!r} is used twice")
    return tasks


def mcp_suite(tasks: McpTaskFile, tools: Sequence[McpTool], *, path: Path) -> Suite:
    """The server's listed tools with the task file's tasks, goals and capabilities.

    Tools the file describes or user tasks' solutions call must be on the server
    (ConfigError naming the file otherwise); goals may name tools the server does
    not have (an injection can ask for anything: such calls are recorded as unknown).
    """
    listed = {tool.name for tool in tools}
    known = ", ".join(sorted(listed)) or "none"
    for name in tasks.tools:
        if name not in listed:
            raise ConfigError(
                f"{path}: tools: {name!r} is not a tool of the server (it has: {known})"
            )
    for task in tasks.user_tasks:
        for call in task.solution:
            if call.tool not in listed:
                raise ConfigError(
                    f"{path}: user task {task.id!r}: its solution calls {call.tool!r}, "
                    f"which the server does not have (it has: {known})"
                )
    return Suite(
        name=f"{SUITE_PREFIX}{tasks.name}",
        description=tasks.description,
        system_prompt=tasks.system_prompt,
        tools=[
            ToolDoc(
                name=tool.name,
                description=tool.description,
                parameters=tool.input_schema or {"type": "object", "properties": {}},
                capabilities=list(tasks.tools.get(tool.name, UNDESCRIBED_TOOL)),
            )
            for tool in tools
        ],
        initial_state={},
        injection_slots={},
        user_tasks=tasks.user_tasks,
        injection_tasks=tasks.injection_tasks,
    )


async def list_server_tools(server: McpServer) -> list[McpTool]:
    """Start ``server``, list its tools, stop it (McpServerError, exit 3, naming it)."""
    async with AsyncMcpTools(server) as session:
        return await session.list_tools()


class McpEnvironment:
    """One episode's session with the server: calls pre-checked, then sent to it."""

    def __init__(self, suite: Suite, session: AsyncMcpTools) -> None:
        self.suite = suite
        self.session = session
        # Nothing to read: the server keeps its state to itself.
        self.state = AgentState.initial({}, {})
        self._available = frozenset(t.name for t in suite.tools)

    async def acall(
        self, name: str, arguments_text: str, *, offered: Collection[str]
    ) -> ToolOutcome:
        """Run one call the model made; a server error or timeout is an ``error`` result."""
        arguments, refused = refused_call(
            self.suite,
            name,
            arguments_text,
            offered=offered,
            available=self._available,
            extra_allowed=True,
        )
        if refused is not None:
            return refused
        try:
            result = await self.session.call_tool(name, arguments)
        except McpServerError as exc:
            return ToolOutcome("error", f"error: {exc}", arguments)
        if result.is_error:
            return ToolOutcome("error", f"error: {result.text}", arguments)
        return ToolOutcome("ok", result.text, arguments)
