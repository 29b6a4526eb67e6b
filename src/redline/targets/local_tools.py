"""Tool calling for local models without a native tool format.

The local model is asked for one JSON object per turn, either
``{"tool": NAME, "arguments": {...}}`` or ``{"answer": TEXT}``; llama.cpp
enforces the shape with a grammar built from the tools' schemas, so a call
always parses and names a tool that was offered (its arguments are still the
model's choice, and may be wrong). Tool docs go into the system message and
tool results into user turns, since small chat templates know neither.

A small model offered a call or an answer tends to answer at once (the bundled
135M model always did); the local target's ``tool_call_first`` option leaves
the answer out of the grammar until the first tool result is in the
conversation, so the first turn is always a call.
"""

from __future__ import annotations

import json
from typing import Any

from redline.core import Message, ToolCall


def tool_answer_schema(tools: list[dict[str, Any]], *, allow_answer: bool = True) -> dict[str, Any]:
    """The JSON schema of one turn: a call to one of ``tools``, or (``allow_answer``)
    a final answer."""
    calls = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": tool["name"]},
                "arguments": tool.get("parameters") or {"type": "object"},
            },
            "required": ["tool", "arguments"],
        }
        for tool in tools
    ]
    answer = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    }
    return {"anyOf": [*calls, answer] if allow_answer else calls}


def no_tool_result_yet(messages: list[Message]) -> bool:
    """Whether the conversation has no tool result in it (the agent has not acted)."""
    return not any(message.role == "tool" for message in messages)


def _tool_docs(tools: list[dict[str, Any]]) -> str:
    lines = [
        "You can call tools. Reply with one JSON object: "
        '{"tool": NAME, "arguments": {...}} to call a tool, or {"answer": TEXT} when done.',
        "Tools:",
    ]
    for tool in tools:
        parameters = (tool.get("parameters") or {}).get("properties") or {}
        arguments = ", ".join(parameters)
        lines.append(f"- {tool['name']}({arguments}): {tool.get('description', '')}")
    return "\n".join(lines)


def tool_prompt_messages(
    messages: list[Message], tools: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """``messages`` as plain chat turns, with the tool docs appended to the system message,
    past calls as the JSON the model wrote and tool results as user turns."""
    docs = _tool_docs(tools)
    wire: list[dict[str, str]] = []
    for message in messages:
        if message.role == "system":
            wire.append({"role": "system", "content": f"{message.content}\n\n{docs}"})
        elif message.role == "tool":
            wire.append(
                {"role": "user", "content": f"Tool result ({message.name}):\n{message.content}"}
            )
        elif message.role == "assistant" and message.tool_calls:
            call = message.tool_calls[0]
            written = {"tool": call.name, "arguments": _arguments(call.arguments)}
            wire.append({"role": "assistant", "content": json.dumps(written)})
        else:
            wire.append({"role": message.role, "content": message.content})
    if not wire or wire[0]["role"] != "system":
        wire.insert(0, {"role": "system", "content": docs})
    return wire


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_tool_answer(text: str, *, call_id: str) -> tuple[str, list[ToolCall] | None]:
    """(answer text, tool calls) from what the model wrote; text that is not the
    expected JSON (cut off at ``max_tokens``) is returned as the answer, unparsed."""
    try:
        value = json.loads(text)
    except ValueError:
        return text, None
    if isinstance(value, dict) and isinstance(value.get("tool"), str):
        arguments = json.dumps(value.get("arguments") or {})
        return "", [ToolCall(id=call_id, name=value["tool"], arguments=arguments)]
    if isinstance(value, dict) and isinstance(value.get("answer"), str):
        return value["answer"], None
    return text, None
