"""The ReAct text protocol and the planning requests."""

from __future__ import annotations

from redline.agents.protocol import parse_react, react_messages, request
from redline.core import GenerationParams, Message, ToolCall

TOOLS = [{"name": "get_balance", "description": "balance", "parameters": {"type": "object"}}]


def test_parse_action_and_final_answer() -> None:
    text, calls = parse_react(
        'Thought: x\nAction: get_balance\nAction Input: {"a": 1}', call_id="c"
    )
    assert text == "" and calls is not None
    assert (calls[0].name, calls[0].arguments, calls[0].id) == ("get_balance", '{"a": 1}', "c")
    assert parse_react("Final Answer: 42 EUR", call_id="c") == ("42 EUR", None)
    assert parse_react("just words", call_id="c") == ("just words", None)


def test_made_up_observation_is_cut_from_the_arguments() -> None:
    _, calls = parse_react("Action: get_balance\nAction Input: {}\nObservation: 1 EUR", call_id="c")
    assert calls is not None and calls[0].arguments == "{}"


def test_react_messages_render_calls_and_results_as_text() -> None:
    messages = [
        Message(role="system", content="You help."),
        Message(role="user", content="balance?"),
        Message(
            role="assistant", tool_calls=[ToolCall(id="c", name="get_balance", arguments="{}")]
        ),
        Message(role="tool", tool_call_id="c", name="get_balance", content="5 EUR"),
    ]
    wire = react_messages(messages, TOOLS)
    assert "Action Input:" in wire[0].content and "get_balance" in wire[0].content
    assert wire[2].content == "Action: get_balance\nAction Input: {}"
    assert (wire[3].role, wire[3].content) == ("user", "Observation: 5 EUR")
    assert all(m.tool_calls is None for m in wire)


def test_native_request_sets_tools_and_react_request_sets_a_stop() -> None:
    params = GenerationParams()
    _, native = request([], TOOLS, params, "native")
    assert native.tools == TOOLS
    _, react = request([], TOOLS, params, "react")
    assert react.tools is None and react.stop == ["\nObservation:"]
