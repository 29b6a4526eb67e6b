"""Scripts for the stub's reference agents (``redline.testing.openai_stub --agent``).

The stub knows nothing about suites: it gets, as JSON, each user task's
prompt, reference calls and answer, and each attacker goal's text, calls and
answer. With that it plays ``oracle`` (does the task, never acts on tool
output instructions), ``follow`` (does whatever injected goal it reads, then
the task) or ``ignore`` (calls the task's tools but answers without reading
them). They prove the metrics: oracle utility 100%, follow ASR ~100%,
oracle and ignore ASR 0%.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redline.agents.mcp_environment import McpTaskFile
from redline.agents.planning import oracle_answer
from redline.agents.suite import InjectionTask, Suite, UserTask, load_suite


def _calls(task: UserTask | InjectionTask) -> list[dict[str, Any]]:
    return [{"name": c.tool, "arguments": dict(c.args)} for c in task.solution]


def reference_script(suites: Sequence[str | Suite | McpTaskFile]) -> dict[str, Any]:
    """The stub's script for ``suites``: built-in suite names, suites, or MCP task
    files (JSON-serialisable)."""
    tasks: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    for named in suites:
        suite = load_suite(named) if isinstance(named, str) else named
        tasks.extend(
            {"prompt": t.prompt, "calls": _calls(t), "answer": oracle_answer(t)}
            for t in suite.user_tasks
        )
        goals.extend(
            {"goal": g.goal, "calls": _calls(g), "answer": oracle_answer(g).removeprefix("Done.")}
            for g in suite.injection_tasks
        )
    return {"tasks": tasks, "goals": goals}
