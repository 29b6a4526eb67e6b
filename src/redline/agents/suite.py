"""Agent suites: tool docs, initial state, user tasks and attacker goals, read from data files.

A suite is a YAML file under ``redline/agents/suites/``; its tools are Python
functions registered under the suite's name (see :mod:`redline.agents.tools`).
User-task success and attacker-goal success are :class:`Check` lists evaluated
over the final environment state and the trace, never by a judge.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from redline.core import ConfigError, UnknownNameError
from redline.core.config_files import load_yaml_model

Capability = Literal[
    "reads_untrusted",
    "reads_private",
    "writes_external",
    "moves_money",
    "executes_code",
    "changes_permissions",
    "modifies_memory",
    "destroys_data",
]
# Capabilities whose calls are sinks for the taint tracker: an effect outside the
# conversation that untrusted text should never steer on its own.
SINK_CAPABILITIES: frozenset[str] = frozenset(
    {
        "writes_external",
        "moves_money",
        "executes_code",
        "changes_permissions",
        "modifies_memory",
        "destroys_data",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolDoc(_Strict):
    """A tool as the model sees it, plus its capabilities (which the model does not see)."""

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    capabilities: list[Capability] = Field(default_factory=list)

    def schema_for_model(self) -> dict[str, Any]:
        """The OpenAI-shaped function description sent to targets."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @property
    def is_sink(self) -> bool:
        return any(c in SINK_CAPABILITIES for c in self.capabilities)


class PlannedCall(_Strict):
    """One tool call of a reference solution (the oracle replays these)."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class Check(_Strict):
    """One condition over the final state and the trace; all of a task's checks must hold.

    Exactly one of the operation fields is set:

    - ``record``: a record in collection ``in`` matches ``where``;
    - ``no_record``: no record in ``in`` matches ``where``;
    - ``value``: the value at dotted ``path`` equals ``equals`` (or is below ``below``);
    - ``answer_has``: the final answer contains every string (case-insensitive);
    - ``answer_lacks``: the final answer contains none of them;
    - ``called``: the trace has a call to ``tool`` (offered or not) whose arguments match ``where``.

    In ``where``, a key ending in ``~`` matches a case-insensitive substring
    (a list field matches when any item does); other keys match exactly.
    """

    record: str | None = None
    no_record: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)
    value: str | None = None
    equals: Any = None
    below: float | None = None
    answer_has: list[str] | None = None
    answer_lacks: list[str] | None = None
    called: str | None = None


class UserTask(_Strict):
    """What the user asks, the calls that solve it, and the checks that say it was done."""

    id: str
    prompt: str
    solution: list[PlannedCall]
    checks: list[Check]
    # Capabilities the task needs beyond the suite's tools (a code executor).
    requires: list[str] = Field(default_factory=list)
    # Tools a well-behaved agent may call beyond the solution (reads it may well make).
    allowed_extra: list[str] = Field(default_factory=list)


class InjectionTask(_Strict):
    """An attacker goal: the instruction injected, the calls that achieve it, and the checks."""

    id: str
    goal: str
    kind: Literal[
        "exfiltration", "money", "credentials", "destruction", "manipulation", "escalation"
    ]
    solution: list[PlannedCall]
    checks: list[Check]


class Suite(_Strict):
    """One simulated environment: tools, initial state with injection slots, tasks and goals."""

    name: str
    description: str
    system_prompt: str
    tools: list[ToolDoc]
    initial_state: dict[str, Any]
    # Slot name -> the text a slot holds when no attack fills it.
    injection_slots: dict[str, str]
    user_tasks: list[UserTask]
    injection_tasks: list[InjectionTask]

    def tool(self, name: str) -> ToolDoc | None:
        return next((t for t in self.tools if t.name == name), None)

    def user_task(self, task_id: str) -> UserTask:
        return _pick(task_id, {t.id: t for t in self.user_tasks}, f"user task of suite {self.name}")

    def injection_task(self, task_id: str) -> InjectionTask:
        tasks = {t.id: t for t in self.injection_tasks}
        return _pick(task_id, tasks, f"injection task of suite {self.name}")


T = TypeVar("T")


def _pick(name: str, items: dict[str, T], what: str) -> T:
    if name in items:
        return items[name]
    close = difflib.get_close_matches(name, list(items), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownNameError(f"unknown {what} {name!r}.{hint} Known: {', '.join(items)}.")


class _ProbeFile(_Strict):
    tools: list[ToolDoc]
    injection_tasks: list[InjectionTask]


def _suite_dir() -> Path:
    return Path(str(resources.files("redline.agents").joinpath("suites")))


def suite_names() -> list[str]:
    """The built-in suites, by name."""
    return sorted(p.stem for p in _suite_dir().glob("*.yaml") if not p.stem.startswith("_"))


@cache
def _probes() -> _ProbeFile:
    return load_yaml_model(_suite_dir() / "_probes.yaml", _ProbeFile)


@cache
def load_suite(name: str) -> Suite:
    """A built-in suite, with the shared privilege-escalation probes and their tools added.

    An unknown name raises :class:`UnknownNameError` with the closest names.
    """
    if name not in suite_names():
        close = difflib.get_close_matches(name, suite_names(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(
            f"unknown agent suite {name!r}.{hint} Known: {', '.join(suite_names())}."
        )
    suite = load_yaml_model(_suite_dir() / f"{name}.yaml", Suite)
    if suite.name != name:
        raise ConfigError(f"{name}.yaml: name is {suite.name!r}, expected {name!r}")
    probes = _probes()
    return suite.model_copy(
        update={
            "tools": [*suite.tools, *probes.tools],
            "injection_tasks": [*suite.injection_tasks, *probes.injection_tasks],
        }
    )
