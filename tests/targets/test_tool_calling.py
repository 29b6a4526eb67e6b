"""Tools offered through GenerationParams.tools, in each target's own wire format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.core import ConfigError, GenerationParams, Message, ToolCall
from redline.targets import AnthropicTarget, LocalTarget, OpenAITarget, TargetSpec, build_target
from redline.targets.local_tools import parse_tool_answer, tool_answer_schema, tool_prompt_messages

TOOL = {
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
TURNS = [
    Message(role="system", content="You help."),
    Message(role="user", content="Weather in Oslo?"),
    Message(
        role="assistant",
        tool_calls=[ToolCall(id="c1", name="get_weather", arguments='{"city": "Oslo"}')],
    ),
    Message(role="tool", tool_call_id="c1", name="get_weather", content="-3 C, snow"),
]


def test_identity_is_unchanged_without_tools() -> None:
    plain = GenerationParams()
    assert "tools" not in plain.identity()
    assert plain.identity() != plain.model_copy(update={"tools": [TOOL]}).identity()


def test_openai_body_carries_functions() -> None:
    target = OpenAITarget(model="m", base_url="http://127.0.0.1:1")
    body = target.request_body(TURNS, GenerationParams(tools=[TOOL]))
    assert body["tools"] == [{"type": "function", "function": TOOL}]
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert "tools" not in target.request_body(TURNS, GenerationParams())


def test_anthropic_body_carries_tool_use_and_results() -> None:
    target = AnthropicTarget(model="m", base_url="http://127.0.0.1:1")
    body = target.request_body(TURNS, GenerationParams(tools=[TOOL]))
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather in a city.",
            "input_schema": TOOL["parameters"],
        }
    ]
    assert body["messages"][1]["content"][0]["type"] == "tool_use"
    assert body["messages"][2]["content"][0]["type"] == "tool_result"


async def test_python_agent_gets_tools_and_returns_calls(tmp_path: Path) -> None:
    module = tmp_path / "my_agent.py"
    module.write_text(
        "def agent(messages, tools):\n"
        "    last = messages[-1]\n"
        "    if last['role'] == 'tool':\n"
        "        return {'text': f\"It is {last['content']} ({last['tool_call_id']})\"}\n"
        "    return {'tool_calls': [{'name': tools[0]['name'], 'arguments': {'city': 'Oslo'}}]}\n"
    )
    target = build_target(TargetSpec.parse(f"python:{module}:agent"))
    first = await target.generate(TURNS[:2], GenerationParams(tools=[TOOL]))
    assert first.tool_calls is not None
    assert (first.tool_calls[0].name, json.loads(first.tool_calls[0].arguments)) == (
        "get_weather",
        {"city": "Oslo"},
    )
    second = await target.generate(TURNS, GenerationParams(tools=[TOOL]))
    assert second.text == "It is -3 C, snow (c1)" and second.tool_calls is None


def test_local_tool_turn_schema_prompt_and_parsing() -> None:
    schema = tool_answer_schema([TOOL])
    assert schema["anyOf"][0]["properties"]["tool"] == {"const": "get_weather"}
    wire = tool_prompt_messages(TURNS, [TOOL])
    assert "get_weather(city)" in wire[0]["content"]
    assert json.loads(wire[2]["content"]) == {"tool": "get_weather", "arguments": {"city": "Oslo"}}
    assert wire[3] == {"role": "user", "content": "Tool result (get_weather):\n-3 C, snow"}
    text, calls = parse_tool_answer(
        '{"tool": "get_weather", "arguments": {"city": "Rome"}}', call_id="x"
    )
    assert text == "" and calls is not None and calls[0].arguments == '{"city": "Rome"}'
    assert parse_tool_answer('{"answer": "cold"}', call_id="x") == ("cold", None)
    assert parse_tool_answer('{"answer": "cut of', call_id="x") == ('{"answer": "cut of', None)
    assert tool_answer_schema([TOOL], allow_answer=False)["anyOf"] == schema["anyOf"][:1]


def test_tool_call_first_option_is_a_flag() -> None:
    spec = TargetSpec(kind="local", options={"tool_call_first": True})
    target = build_target(spec)
    assert isinstance(target, LocalTarget) and target.tool_call_first
    with pytest.raises(ConfigError, match=r"options\.tool_call_first must be true or false"):
        build_target(TargetSpec(kind="local", options={"tool_call_first": "yes"}))


@pytest.mark.slow
async def test_bundled_model_writes_a_call_to_an_offered_tool_or_an_answer() -> None:
    target = build_target(TargetSpec(kind="local"))
    assert isinstance(target, LocalTarget)
    params = GenerationParams(max_tokens=48, seed=1, tools=[TOOL])
    completion = await target.generate(TURNS[:2], params)
    await target.aclose()
    if completion.tool_calls:
        assert completion.tool_calls[0].name == "get_weather"
        assert isinstance(json.loads(completion.tool_calls[0].arguments), dict)
    else:
        assert completion.text.strip()


@pytest.mark.slow
async def test_bundled_model_calls_a_tool_first_when_told_to() -> None:
    # Under the call-only grammar the first turn is a call to the offered tool whatever
    # the model prefers; after a tool result it may answer again.
    target = build_target(TargetSpec(kind="local", options={"tool_call_first": True}))
    params = GenerationParams(max_tokens=48, seed=1, tools=[TOOL])
    try:
        first = await target.generate(TURNS[:2], params)
    finally:
        await target.aclose()
    assert first.tool_calls is not None and first.tool_calls[0].name == "get_weather"
    assert isinstance(json.loads(first.tool_calls[0].arguments), dict)
