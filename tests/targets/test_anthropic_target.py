from __future__ import annotations

import pytest
from aiohttp import web

from redline.core import (
    ConfigError,
    GenerationParams,
    Message,
    TargetAuthError,
    TargetResponseError,
    TargetTimeoutError,
    TargetTransientError,
    ToolCall,
)
from redline.targets import AnthropicTarget, TargetSpec, build_target

SECRET = "sk-ant-test-abcdef0123456789"
PARAMS = GenerationParams(max_tokens=20, stop=["END"])


def anthropic_app(seen: list[dict], *, status: int = 200, body: object = None) -> web.Application:
    async def messages(request: web.Request) -> web.Response:
        payload = await request.json()
        seen.append({"headers": dict(request.headers), "body": payload})
        if status != 200:
            return web.json_response(
                {"type": "error", "error": {"type": "overloaded_error"}},
                status=status,
                headers={"retry-after": "3"},
            )
        if body is not None:
            return web.json_response(body)
        last = payload["messages"][-1]["content"]
        return web.json_response(
            {
                "id": "msg_1",
                "type": "message",
                "model": payload["model"],
                "content": [{"type": "text", "text": f"echo: {last}"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 11, "output_tokens": 3},
            }
        )

    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    return app


async def test_messages_api_request_and_response(serve, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    seen: list[dict] = []
    async with serve(anthropic_app(seen)) as url:
        target = build_target(TargetSpec(kind="anthropic", model="claude-x", base_url=url))
        conversation = [
            Message(role="system", content="Be terse."),
            Message(role="user", content="hello"),
        ]
        completion = await target.generate(conversation, PARAMS)
        await target.aclose()
    assert completion.text == "echo: hello"
    assert completion.finish_reason == "end_turn"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 3)
    request = seen[0]
    assert request["headers"]["x-api-key"] == SECRET
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert request["body"]["system"] == "Be terse."
    assert request["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert request["body"]["max_tokens"] == 20
    assert request["body"]["stop_sequences"] == ["END"]
    assert SECRET not in repr(target) and SECRET not in target.name


@pytest.mark.parametrize("status", [529, 500, 429])
async def test_overloaded_and_rate_limits_are_transient(serve, status):
    async with serve(anthropic_app([], status=status)) as url:
        target = AnthropicTarget(model="m", base_url=url)
        with pytest.raises(TargetTransientError) as info:
            await target.generate([Message(role="user", content="x")], PARAMS)
        await target.aclose()
    assert info.value.status == status
    assert info.value.retry_after == 3.0


async def test_401_names_the_env_var(serve, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    async with serve(anthropic_app([], status=401)) as url:
        target = build_target(TargetSpec(kind="anthropic", model="m", base_url=url))
        with pytest.raises(TargetAuthError, match=r"\$ANTHROPIC_API_KEY") as info:
            await target.generate([Message(role="user", content="x")], PARAMS)
        await target.aclose()
    assert SECRET not in str(info.value)


def test_public_api_without_key_is_a_config_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        build_target(TargetSpec(kind="anthropic", model="m"))


async def test_tool_use_round_trip(serve):
    seen: list[dict] = []
    reply = {
        "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"q": "weather"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    async with serve(anthropic_app(seen, body=reply)) as url:
        target = AnthropicTarget(model="m", base_url=url)
        first = await target.generate([Message(role="user", content="weather?")], PARAMS)
        assert first.text == "Let me look."
        assert first.tool_calls == [
            ToolCall(id="tu_1", name="lookup", arguments='{"q": "weather"}')
        ]
        conversation = [
            Message(role="user", content="weather?"),
            Message(role="assistant", content="Let me look.", tool_calls=first.tool_calls),
            Message(role="tool", content="sunny", tool_call_id="tu_1"),
        ]
        await target.generate(conversation, PARAMS)
        await target.aclose()
    sent = seen[1]["body"]["messages"]
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": "tu_1",
        "name": "lookup",
        "input": {"q": "weather"},
    }
    assert sent[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "sunny"}],
    }


async def test_malformed_and_timeout(serve):
    async def not_json(request: web.Request) -> web.Response:
        return web.Response(text="oops")

    async def slow(request: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/bad/v1/messages", not_json)
    app.router.add_post("/slow/v1/messages", slow)
    async with serve(app) as url:
        bad = AnthropicTarget(model="m", base_url=url + "/bad")
        with pytest.raises(TargetResponseError):
            await bad.generate([Message(role="user", content="x")], PARAMS)
        slow_target = AnthropicTarget(model="m", base_url=url + "/slow", timeout=0.2)
        with pytest.raises(TargetTimeoutError):
            await slow_target.generate([Message(role="user", content="x")], PARAMS)
        await bad.aclose()
        await slow_target.aclose()
