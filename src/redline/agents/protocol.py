"""How tool calls travel between the episode and the target.

``native``: tools go in :attr:`GenerationParams.tools` and calls come back as
``Completion.tool_calls`` (OpenAI ``tools``/``tool_calls``, Anthropic
``tool_use``/``tool_result``, the local model's grammar-constrained JSON, a
Python agent's returned calls). ``react``: for targets with no tool support
(an HTTP app, a plain chat model), the tools are described in the system
prompt and the model writes ``Action:`` / ``Action Input:`` lines, answered
with ``Observation:`` turns, until it writes ``Final Answer:``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from redline.core import Completion, GenerationParams, Message, ToolCall

ToolProtocol = Literal["native", "react"]
PROTOCOLS: tuple[str, ...] = ("native", "react")

_ACTION = re.compile(r"Action:\s*([^\n]+?)\s*\nAction Input:\s*(.*)", re.DOTALL)
_FINAL = re.compile(r"Final Answer:\s*(.*)", re.DOTALL)
REACT_STOP = ["\nObservation:"]


def react_instructions(tools: list[dict[str, Any]]) -> str:
    lines = [
        "You have these tools:",
        *(
            f"- {t['name']}: {t.get('description', '')} Arguments (JSON schema): "
            f"{json.dumps(t.get('parameters') or {})}"
            for t in tools
        ),
        "To use a tool, write exactly:",
        "Action: TOOL_NAME",
        'Action Input: {"argument": "value"}',
        "then stop; the result comes back as 'Observation: ...'. Use one tool at a time.",
        "When you are done, write 'Final Answer: ' followed by your answer to the user.",
    ]
    return "\n".join(lines)


def react_messages(messages: list[Message], tools: list[dict[str, Any]]) -> list[Message]:
    """The episode's messages in the ReAct text form (no tool roles, no tool calls)."""
    out: list[Message] = []
    instructions = react_instructions(tools)
    for message in messages:
        if message.role == "system":
            out.append(Message(role="system", content=f"{message.content}\n\n{instructions}"))
        elif message.role == "tool":
            out.append(Message(role="user", content=f"Observation: {message.content}"))
        elif message.role == "assistant" and message.tool_calls:
            call = message.tool_calls[0]
            action = f"Action: {call.name}\nAction Input: {call.arguments}"
            out.append(Message(role="assistant", content=action))
        elif message.role == "assistant":
            out.append(Message(role="assistant", content=message.content))
        else:
            out.append(message)
    return out


def parse_react(text: str, *, call_id: str) -> tuple[str, list[ToolCall] | None]:
    """(answer, calls) from a ReAct reply: a call if it names an action, else the answer."""
    action = _ACTION.search(text)
    final = _FINAL.search(text)
    if action and (final is None or action.start() < final.start()):
        arguments = action.group(2).strip()
        # The model may run on into a made-up Observation; keep the first JSON line(s).
        arguments = arguments.split("\nObservation:")[0].strip()
        return "", [ToolCall(id=call_id, name=action.group(1).strip(), arguments=arguments)]
    if final:
        return final.group(1).strip(), None
    return text.strip(), None


def request(
    messages: list[Message],
    tools: list[dict[str, Any]],
    params: GenerationParams,
    protocol: ToolProtocol,
) -> tuple[list[Message], GenerationParams]:
    """What to send for one turn of the episode."""
    if protocol == "react":
        stop = [*(params.stop or []), *REACT_STOP]
        return react_messages(messages, tools), params.model_copy(update={"stop": stop})
    return messages, params.model_copy(update={"tools": tools or None})


def reply(
    completion: Completion, protocol: ToolProtocol, *, call_id: str
) -> tuple[str, list[ToolCall] | None]:
    """(text, calls) from the target's answer for one turn."""
    if protocol == "react":
        return parse_react(completion.text, call_id=call_id)
    return completion.text, completion.tool_calls
