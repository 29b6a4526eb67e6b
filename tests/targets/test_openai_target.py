from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from redline.core import (
    ConfigError,
    GenerationParams,
    Message,
    TargetAuthError,
    TargetRequestError,
    TargetResponseError,
    TargetTimeoutError,
    TargetTransientError,
    ToolCall,
)
from redline.targets import OpenAITarget, TargetSpec, build_target
from redline.targets.http_errors import parse_retry_after
from redline.testing import running_stub

PARAMS = GenerationParams(max_tokens=32)
SECRET = "sk-test-0123456789abcdef"


def user(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


async def stats(base_url: str) -> dict[str, int]:
    import aiohttp

    url = base_url.removesuffix("/v1") + "/stats"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()


async def test_success_reads_text_usage_and_model(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with running_stub(delay=0) as url:
        target = build_target(TargetSpec(kind="openai", model="m1", base_url=url))
        completion = await target.generate(user("hello there world"), PARAMS)
        refused = await target.generate(user("do [refuse] this"), PARAMS)
        await target.aclose()
        counts = await stats(url)
    assert completion.text == "Sure: hello there world"
    assert completion.finish_reason == "stop"
    assert completion.model == "m1"
    assert completion.usage.prompt_tokens == 3
    assert completion.usage.completion_tokens == 4
    assert refused.text == "I cannot help with that."
    # The default key variable is unset, so no Authorization header was sent.
    assert counts["with_auth"] == 0
    assert target.name == "openai:m1"


async def test_key_from_default_env_is_sent(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    async with running_stub(delay=0, api_key=SECRET) as url:
        target = build_target(TargetSpec(kind="openai", model="m", base_url=url))
        completion = await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert completion.text == "Sure: hi"


def test_explicit_key_env_that_is_unset_is_a_config_error(monkeypatch):
    monkeypatch.delenv("MY_KEY_VAR", raising=False)
    spec = TargetSpec(kind="openai", model="m", api_key_env="MY_KEY_VAR")
    with pytest.raises(ConfigError, match=r"MY_KEY_VAR.*not set"):
        build_target(spec)


def test_model_is_required():
    with pytest.raises(ConfigError, match="--model"):
        build_target(TargetSpec(kind="openai"))


async def test_401_names_the_env_var_never_the_key(monkeypatch):
    monkeypatch.setenv("TEAM_KEY", SECRET)
    async with running_stub(delay=0, mode="unauthorized") as url:
        target = build_target(
            TargetSpec(kind="openai", model="m", base_url=url, api_key_env="TEAM_KEY")
        )
        with pytest.raises(TargetAuthError) as info:
            await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert info.value.status == 401
    assert "$TEAM_KEY" in str(info.value)
    assert SECRET not in str(info.value)


async def test_a_server_echoing_the_key_is_redacted(serve, monkeypatch):
    async def echo_auth(request: web.Request) -> web.Response:
        return web.Response(status=403, text=f"bad header {request.headers['Authorization']}")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", echo_auth)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    async with serve(app) as url:
        target = build_target(TargetSpec(kind="openai", model="m", base_url=url + "/v1"))
        with pytest.raises(TargetAuthError) as info:
            await target.generate(user("hi"), PARAMS)
        await target.aclose()
    message = str(info.value)
    assert "Bearer ***" in message
    assert SECRET not in message
    assert SECRET not in repr(target) and SECRET not in target.name


async def test_429_carries_retry_after_then_succeeds():
    async with running_stub(delay=0, mode="rate_limited") as url:
        target = build_target(TargetSpec(kind="openai", model="m", base_url=url))
        with pytest.raises(TargetTransientError) as info:
            await target.generate(user("hello"), PARAMS)
        completion = await target.generate(user("hello"), PARAMS)
        await target.aclose()
    assert info.value.status == 429
    assert info.value.retry_after == 1.0
    assert completion.text == "Sure: hello"


async def test_503_with_http_date_retry_after(serve):
    when = datetime.now(UTC) + timedelta(seconds=30)

    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})

    app = web.Application()
    app.router.add_post("/chat/completions", busy)
    async with serve(app) as url:
        target = OpenAITarget(model="m", base_url=url)
        with pytest.raises(TargetTransientError) as info:
            await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert info.value.status == 503
    assert info.value.retry_after is not None
    assert 25 <= info.value.retry_after <= 31


def test_parse_retry_after_forms():
    assert parse_retry_after({"Retry-After": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=60), usegmt=True)
    assert parse_retry_after({"Retry-After": past}) == 0.0


async def test_500_is_transient():
    async with running_stub(delay=0, mode="error") as url:
        target = OpenAITarget(model="m", base_url=url)
        with pytest.raises(TargetTransientError) as info:
            await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert info.value.status == 500
    assert not isinstance(info.value, TargetTimeoutError)


async def test_timeout():
    async with running_stub(delay=2.0) as url:
        target = OpenAITarget(model="m", base_url=url, timeout=0.2)
        with pytest.raises(TargetTimeoutError, match=r"within 0\.2s"):
            await target.generate(user("hi"), PARAMS)
        await target.aclose()


async def test_connection_refused_is_transient(closed_port):
    target = OpenAITarget(model="m", base_url=f"http://127.0.0.1:{closed_port}/v1")
    with pytest.raises(TargetTransientError, match="cannot connect") as info:
        await target.generate(user("hi"), PARAMS)
    await target.aclose()
    assert not isinstance(info.value, TargetTimeoutError)


async def test_malformed_body_is_a_response_error():
    async with running_stub(delay=0, mode="malformed") as url:
        target = OpenAITarget(model="m", base_url=url)
        with pytest.raises(TargetResponseError, match="not a chat completion"):
            await target.generate(user("hi"), PARAMS)
        await target.aclose()


async def test_json_without_choices_is_a_response_error(serve):
    async def no_choices(request: web.Request) -> web.Response:
        return web.json_response({"choices": []})

    app = web.Application()
    app.router.add_post("/chat/completions", no_choices)
    async with serve(app) as url:
        target = OpenAITarget(model="m", base_url=url)
        with pytest.raises(TargetResponseError):
            await target.generate(user("hi"), PARAMS)
        await target.aclose()


async def test_content_parts_are_joined(serve):
    async def parts(request: web.Request) -> web.Response:
        content = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
        return web.json_response({"choices": [{"message": {"content": content}}]})

    app = web.Application()
    app.router.add_post("/chat/completions", parts)
    async with serve(app) as url:
        target = OpenAITarget(model="m", base_url=url)
        completion = await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert completion.text == "ab"


async def test_other_4xx_is_a_request_error(serve):
    async def bad(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "max_tokens too large"}}, status=400)

    app = web.Application()
    app.router.add_post("/chat/completions", bad)
    async with serve(app) as url:
        target = OpenAITarget(model="m", base_url=url)
        with pytest.raises(TargetRequestError, match="max_tokens too large") as info:
            await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert info.value.status == 400


async def test_empty_text_is_a_valid_completion():
    async with running_stub(delay=0, mode="empty") as url:
        target = OpenAITarget(model="m", base_url=url)
        completion = await target.generate(user("hi"), PARAMS)
        await target.aclose()
    assert completion.text == ""
    assert completion.finish_reason == "stop"


async def test_tool_calls_round_trip(serve):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    async with running_stub(delay=0) as url:
        target = OpenAITarget(model="m", base_url=url, extra_body={"tools": tools})
        first = await target.generate(user("[tool] find the weather"), PARAMS)
        assert first.text == ""
        assert first.finish_reason == "tool_calls"
        assert first.tool_calls is not None
        call = first.tool_calls[0]
        assert call.name == "lookup"
        assert json.loads(call.arguments) == {"query": "[tool] find the weather"}
        conversation = [
            *user("[tool] find the weather"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", content="sunny", tool_call_id=call.id),
        ]
        second = await target.generate(conversation, PARAMS)
        await target.aclose()
    assert second.text == "Tool said: sunny"

    seen: list[dict] = []

    async def capture(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({"choices": [{"message": {"content": "ok"}}]})

    app = web.Application()
    app.router.add_post("/chat/completions", capture)
    async with serve(app) as url:
        target = OpenAITarget(model="m", base_url=url)
        await target.generate(conversation, GenerationParams(max_tokens=5, seed=7, stop=["\n"]))
        await target.aclose()
    body = seen[0]
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": "lookup", "arguments": call.arguments},
            }
        ],
    }
    assert body["messages"][2] == {"role": "tool", "content": "sunny", "tool_call_id": call.id}
    assert body["max_tokens"] == 5 and body["seed"] == 7 and body["stop"] == ["\n"]


def test_target_survives_two_event_loops():
    async def once(target: OpenAITarget) -> str:
        async with running_stub(delay=0) as url:
            target.url = f"{url}/chat/completions"
            return (await target.generate(user("again"), PARAMS)).text

    target = OpenAITarget(model="m", base_url="http://unused")
    assert asyncio.run(once(target)) == "Sure: again"
    assert asyncio.run(once(target)) == "Sure: again"
    asyncio.run(target.aclose())


def test_tool_call_model_round_trips_through_json():
    call = ToolCall(id="c1", name="f", arguments='{"a": 1}')
    from redline.targets.openai_chat import openai_message, parse_tool_calls

    wire = openai_message(Message(role="assistant", tool_calls=[call]))
    assert parse_tool_calls(wire["tool_calls"]) == [call]


def test_openai_target_passes_json_schema_as_response_format():
    target = OpenAITarget(model="m", base_url="http://127.0.0.1:1")
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    question = [Message(role="user", content="x")]
    body = target.request_body(question, GenerationParams(json_schema=schema))
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == schema
    plain = target.request_body(question, GenerationParams())
    assert "response_format" not in plain
