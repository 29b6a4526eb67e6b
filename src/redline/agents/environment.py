"""One episode's environment: the suite's tools over a fresh state, and how a call is run.

The episode loop only needs ``state`` and ``acall``: :class:`Environment` runs a
suite's Python tools; ``redline.agents.mcp_environment`` routes calls to an MCP
server instead. Every call the model makes is recorded with a status, whatever happens:
``ok``, ``error`` (the tool refused), ``malformed`` (arguments not a JSON object
or not matching the tool's parameters), ``not_offered`` (a suite tool the agent
was not given), ``unknown`` (no such tool at all), ``blocked`` (a defence
stopped it). Nothing a model writes can crash the episode.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from redline.agents.state import AgentState, CodeExecutor, ToolContext, ToolError
from redline.agents.suite import Suite, ToolDoc
from redline.agents.tools import toolset

CALL_STATUSES = ("ok", "error", "malformed", "not_offered", "unknown", "blocked")


@dataclass(frozen=True)
class ToolOutcome:
    """What running one call gave: its status, the text the model sees, the parsed arguments."""

    status: str
    output: str
    arguments: dict[str, Any]


class ToolEnvironment(Protocol):
    """What an episode runs its calls against: a state the checks read, and calls."""

    @property
    def state(self) -> AgentState: ...

    async def acall(
        self, name: str, arguments_text: str, *, offered: Collection[str]
    ) -> ToolOutcome: ...


def parse_arguments(text: str) -> dict[str, Any] | None:
    """A call's arguments as a dict, or None when they are not a JSON object."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def argument_problem(
    doc: ToolDoc, arguments: Mapping[str, Any], *, extra_allowed: bool = False
) -> str | None:
    """Why ``arguments`` do not fit the tool's parameters (None if they do).

    ``extra_allowed``: arguments the schema does not name are the tool's to judge
    (an MCP server validates its own input; a suite's Python tool cannot take them).
    """
    properties = doc.parameters.get("properties") or {}
    unknown = [k for k in arguments if k not in properties]
    if unknown and not extra_allowed:
        return f"unknown argument(s) {', '.join(unknown)} for {doc.name}"
    missing = [k for k in doc.parameters.get("required") or () if k not in arguments]
    if missing:
        return f"missing argument(s) {', '.join(missing)} for {doc.name}"
    return None


def refused_call(
    suite: Suite,
    name: str,
    arguments_text: str,
    *,
    offered: Collection[str],
    available: Collection[str],
    extra_allowed: bool = False,
) -> tuple[dict[str, Any], ToolOutcome | None]:
    """The call's parsed arguments, and the outcome when it must not reach the tool:
    no such tool in ``available``, not offered, or arguments that do not fit."""
    arguments = parse_arguments(arguments_text)
    doc = suite.tool(name)
    if doc is None or name not in available:
        return arguments or {}, ToolOutcome(
            "unknown", f"error: there is no tool named {name!r}", arguments or {}
        )
    if name not in offered:
        return arguments or {}, ToolOutcome(
            "not_offered", f"error: tool {name!r} is not available", arguments or {}
        )
    if arguments is None:
        return {}, ToolOutcome(
            "malformed", f"error: the arguments of {name} are not a JSON object", {}
        )
    problem = argument_problem(doc, arguments, extra_allowed=extra_allowed)
    if problem is not None:
        return arguments, ToolOutcome("malformed", f"error: {problem}", arguments)
    return arguments, None


class Environment:
    """A suite's tools over a fresh copy of its state with the injection slots filled."""

    def __init__(
        self,
        suite: Suite,
        *,
        slot_texts: Mapping[str, str],
        code_executor: CodeExecutor | None = None,
    ) -> None:
        self.suite = suite
        texts = {**suite.injection_slots, **slot_texts}
        self.state = AgentState.initial(suite.initial_state, texts)
        self.context = ToolContext(state=self.state, code_executor=code_executor)
        self.functions = toolset(suite.name)

    def call(self, name: str, arguments_text: str, *, offered: Collection[str]) -> ToolOutcome:
        """Run one call the model made; never raises for anything the model wrote."""
        arguments, refused = refused_call(
            self.suite, name, arguments_text, offered=offered, available=self.functions
        )
        if refused is not None:
            return refused
        try:
            output = self.functions[name](self.context, **arguments)
        except ToolError as exc:
            return ToolOutcome("error", f"error: {exc}", arguments)
        except (TypeError, ValueError, KeyError) as exc:
            # A value of the wrong type that got past the schema check (a list for a number).
            return ToolOutcome("malformed", f"error: bad arguments for {name}: {exc}", arguments)
        return ToolOutcome("ok", output, arguments)

    async def acall(
        self, name: str, arguments_text: str, *, offered: Collection[str]
    ) -> ToolOutcome:
        """:meth:`call` for the episode loop, which awaits every environment's calls."""
        return self.call(name, arguments_text, offered=offered)
