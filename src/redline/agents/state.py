"""The environment an episode runs in: a deterministic state tools read and change.

State is plain data (collections of records, scalars) copied from a suite's
``initial_state`` with its injection slots filled; tools change it through
the few operations here, so every change is visible to the checks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SLOT = re.compile(r"\{slot:([a-z0-9_]+)\}")


class ToolError(Exception):
    """A tool refused a call (unknown record, bad value); the model sees the message."""


def fill_slots(value: Any, texts: Mapping[str, str]) -> Any:
    """``value`` with every ``{slot:NAME}`` replaced by ``texts[NAME]`` (recursively)."""
    if isinstance(value, str):
        return SLOT.sub(lambda m: texts.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [fill_slots(v, texts) for v in value]
    if isinstance(value, dict):
        return {k: fill_slots(v, texts) for k, v in value.items()}
    return value


def slots_in(text: str) -> set[str]:
    """The slot names ``text`` mentions."""
    return set(SLOT.findall(text))


def matches(record: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """Whether ``record`` satisfies ``where`` (``key~`` is a case-insensitive substring)."""
    for key, wanted in where.items():
        if key.endswith("~"):
            value = record.get(key[:-1])
            items = value if isinstance(value, list) else [value]
            needle = str(wanted).lower()
            if not any(needle in str(item).lower() for item in items if item is not None):
                return False
        elif record.get(key) != wanted:
            return False
    return True


@dataclass
class AgentState:
    """Collections of records and scalar values, changed only through tools."""

    data: dict[str, Any]
    next_id: int = 1000

    @classmethod
    def initial(cls, initial_state: Mapping[str, Any], slot_texts: Mapping[str, str]) -> AgentState:
        return cls(data=fill_slots(copy.deepcopy(dict(initial_state)), slot_texts))

    def records(self, collection: str) -> list[dict[str, Any]]:
        value = self.data.setdefault(collection, [])
        if not isinstance(value, list):
            raise ToolError(f"{collection} is not a collection")
        return value

    def find(self, collection: str, **where: Any) -> list[dict[str, Any]]:
        return [r for r in self.records(collection) if matches(r, where)]

    def one(self, collection: str, what: str, **where: Any) -> dict[str, Any]:
        """The record matching ``where``, or ToolError naming ``what`` was not found."""
        found = self.find(collection, **where)
        if not found:
            shown = ", ".join(f"{k}={v!r}" for k, v in where.items())
            raise ToolError(f"no {what} with {shown}")
        return found[0]

    def add(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        record = {"id": str(self.next_id), **record}
        self.next_id += 1
        self.records(collection).append(record)
        return record

    def remove(self, collection: str, record: dict[str, Any]) -> None:
        self.records(collection).remove(record)

    def get(self, path: str) -> Any:
        value: Any = self.data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    def set(self, path: str, value: Any) -> None:
        *parents, last = path.split(".")
        node = self.data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value


# What executes code for the ``run_code`` tool: (code, language) -> (output, timed_out).
# Injected by whoever runs the episode (the OS sandbox); None: the tool is unavailable.
CodeExecutor = Callable[[str, str], tuple[str, bool]]


@dataclass
class ToolContext:
    """What a tool function gets: the state, and the code executor if one was given."""

    state: AgentState
    code_executor: CodeExecutor | None = None
    notes: list[str] = field(default_factory=list)
