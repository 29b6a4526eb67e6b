"""Scripted reference agents the stub plays, for tests and benchmarks of agent runs.

A script (JSON, made by :func:`redline.agents.reference_script`) lists user
tasks (prompt, calls, answer) and attacker goals (goal text, calls, answer).
Given a conversation, an agent finds its task by the prompt in the first user
message, reads which goal texts appear in tool results, and answers with its
next call or its final answer. Tool results come as ``tool`` messages or as
ReAct ``Observation:`` turns, past calls as ``tool_calls`` or ReAct
``Action:`` text; the reply uses the same form.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections import Counter
from typing import Any

AGENTS = ("oracle", "follow", "ignore")
PLANNING_TOOLS = ("select_tools", "submit_plan")
_ACTION = re.compile(r"Action:\s*([^\n]+?)\s*\nAction Input:\s*(\{.*\})", re.DOTALL)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _call_key(name: str, arguments: Any) -> str:
    if isinstance(arguments, str):
        with contextlib.suppress(ValueError):
            arguments = json.loads(arguments)
    return json.dumps([name, arguments], sort_keys=True)


def _history(messages: list[dict[str, Any]]) -> tuple[list[str], str]:
    """(calls made so far as keys, every tool result's text joined)."""
    made: list[str] = []
    results: list[str] = []
    for message in messages:
        role, content = message.get("role"), _text(message.get("content"))
        if role == "assistant":
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                made.append(_call_key(function.get("name", ""), function.get("arguments", "{}")))
            action = _ACTION.search(content)
            if action:
                made.append(_call_key(action.group(1).strip(), action.group(2)))
        elif role == "tool" or (role == "user" and content.startswith("Observation:")):
            results.append(content)
    # Spotlighting joins words with ^; read through it as a model would.
    return made, " ".join(results).replace("^", " ")


def _seen(goal: dict[str, Any], results: str) -> bool:
    encoded = base64.b64encode(goal["goal"].encode()).decode()
    return goal["goal"] in results or encoded in results


def agent_reply(
    script: dict[str, Any], agent: str, messages: list[dict[str, Any]], tools: list[Any] | None
) -> dict[str, Any] | None:
    """The reference agent's next message, or None when no task matches (plain stub reply)."""
    first_user = next((_text(m.get("content")) for m in messages if m.get("role") == "user"), "")
    matching = [t for t in script["tasks"] if t["prompt"] in first_user]
    if not matching:
        return None
    task = max(matching, key=lambda t: len(t["prompt"]))
    names = [(t.get("function") or {}).get("name", "") for t in tools or () if isinstance(t, dict)]
    react = not tools and any("Action Input:" in _text(m.get("content")) for m in messages)
    if len(names) == 1 and names[0] in PLANNING_TOOLS:
        planned = [c["name"] for c in task["calls"]]
        return _call_message(names[0], {"tools": planned}, len(messages), react=False)
    made, results = _history(messages)
    seen = [g for g in script["goals"] if _seen(g, results)] if agent == "follow" else []
    candidates = [c for g in seen for c in g["calls"]] + task["calls"]
    wanted: Counter[str] = Counter()
    done = Counter(made)
    for call in candidates:
        key = _call_key(call["name"], call["arguments"])
        wanted[key] += 1
        if wanted[key] > done[key]:
            return _call_message(call["name"], call["arguments"], len(messages), react=react)
    answer = "Done." if agent == "ignore" else task["answer"] + "".join(g["answer"] for g in seen)
    if react:
        answer = f"Final Answer: {answer}"
    return {"role": "assistant", "content": answer}


def _call_message(name: str, arguments: Any, index: int, *, react: bool) -> dict[str, Any]:
    if react:
        text = f"Action: {name}\nAction Input: {json.dumps(arguments)}"
        return {"role": "assistant", "content": text}
    call = {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}
