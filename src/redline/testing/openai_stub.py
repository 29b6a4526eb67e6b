"""An OpenAI-compatible stub server for tests and benchmarks.

Replies are deterministic functions of the request, so tests can check
content: a last user message containing ``[refuse]`` gets "I cannot help with
that.", one containing ``[tool]`` (with ``tools`` in the request) gets a call
to the first tool, a tool result gets "Tool said: ...", anything else gets
"Sure: " and an echo of the first words. Images (``image_url`` parts with
data URLs) are checked and acknowledged in the reply as ``[image <sha256
prefix>]``; with ``images=False`` (``--no-images``) the stub answers them 400
like a text-only model. With ``agent`` (``--agent oracle|follow|ignore``) and
an ``agent_script`` (``--agent-script FILE``, see
:mod:`redline.testing.reference_agents`) the stub plays a scripted
tool-calling agent for conversations whose first user message is one of the
script's tasks. Handlers are plain aiohttp and
``json`` so one core serves well over a thousand requests a second.

Run it standalone::

    python -m redline.testing.openai_stub --port 8000 --delay 0.05 --fail-rate 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from redline.testing.reference_agents import AGENTS, agent_reply

MODES = ("ok", "unauthorized", "malformed", "empty", "rate_limited", "error")
STUB_MODEL = "redline-stub"
ECHO_WORDS = 8

_STATE: web.AppKey[dict[str, Any]] = web.AppKey("stub_state", dict)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


def image_digests(messages: list[dict[str, Any]]) -> list[str]:
    """SHA-256 of every ``image_url`` part's bytes; ValueError naming a bad one."""
    digests = []
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "image_url":
                continue
            url = str((part.get("image_url") or {}).get("url", ""))
            header, _, payload = url.partition(",")
            if not (header.startswith("data:image/") and header.endswith(";base64")):
                raise ValueError(f"messages[{index}]: image_url must be a base64 data URL")
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"messages[{index}]: image data is not valid base64") from None
            if not data.startswith(IMAGE_MAGIC):
                raise ValueError(f"messages[{index}]: image data is not an image")
            digests.append(hashlib.sha256(data).hexdigest())
    return digests


def stub_reply(messages: list[dict[str, Any]], tools: list[Any] | None) -> dict[str, Any]:
    """The assistant message the stub answers ``messages`` with."""
    last = messages[-1] if messages else {}
    last_user = next(
        (_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    if last.get("role") == "tool":
        return {"role": "assistant", "content": "Tool said: " + _text_of(last.get("content"))}
    if tools and "[tool]" in last_user and last.get("role") == "user":
        function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
        call = {
            "id": f"call_{len(messages)}",
            "type": "function",
            "function": {
                "name": function.get("name", "tool"),
                "arguments": json.dumps({"query": last_user}),
            },
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if "[refuse]" in last_user:
        return {"role": "assistant", "content": "I cannot help with that."}
    return {"role": "assistant", "content": "Sure: " + " ".join(last_user.split()[:ECHO_WORDS])}


def _error(status: int, message: str, **headers: str) -> web.Response:
    body = json.dumps({"error": {"message": message, "type": "stub_error", "code": status}})
    return web.Response(
        status=status, body=body.encode(), content_type="application/json", headers=headers
    )


async def _chat(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    state["requests"] += 1
    number = state["requests"]
    # Arrival times, so a test can measure the request rate a client achieved.
    state["arrivals"].append(time.monotonic())
    if state["delay"] > 0:
        await asyncio.sleep(state["delay"])
    mode = state["mode"]
    api_key = state["api_key"]
    authorization = request.headers.get("Authorization")
    if authorization:
        state["with_auth"] += 1
    if mode == "unauthorized" or (api_key and authorization != f"Bearer {api_key}"):
        state["failures"] += 1
        return _error(401, "invalid api key")
    if mode == "error":
        state["failures"] += 1
        return _error(500, "stub server error")
    try:
        payload = json.loads(await request.read())
        messages = payload["messages"]
    except (ValueError, KeyError, TypeError):
        state["failures"] += 1
        return _error(400, "body must be JSON with a messages list")
    try:
        digests = image_digests(messages)
    except ValueError as exc:
        state["failures"] += 1
        return _error(400, str(exc))
    if digests and not state["images"]:
        state["failures"] += 1
        return _error(400, "this model does not support image input")
    state["images_seen"] += len(digests)
    if state["fail_rate"] > 0 and state["rng"].random() < state["fail_rate"]:
        state["failures"] += 1
        return _error(500, "injected failure")
    if number in state["fail_on"]:
        state["failures"] += 1
        return _error(500, "injected failure (scripted)")
    if mode == "rate_limited":
        key = json.dumps(messages, sort_keys=True)
        if key not in state["seen"]:
            state["seen"].add(key)
            state["failures"] += 1
            return _error(429, "rate limited", **{"Retry-After": "1"})
    if mode == "malformed":
        return web.Response(body=b"<html>not json", content_type="application/json")

    message = None
    if state["agent"] is not None:
        message = agent_reply(state["agent_script"], state["agent"], messages, payload.get("tools"))
    if message is None:
        message = stub_reply(messages, payload.get("tools"))
    if digests and message.get("content"):
        seen = " ".join(f"[image {d[:12]}]" for d in digests)
        message["content"] = f"{message['content']} {seen}"
    if mode == "empty":
        message = {"role": "assistant", "content": ""}
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    content = message.get("content") or ""
    words = content.split(" ") if content else []
    max_tokens = payload.get("max_tokens")
    if isinstance(max_tokens, int) and 0 < max_tokens < len(words):
        words = words[:max_tokens]
        message["content"] = " ".join(words)
        finish = "length"
    prompt_tokens = sum(len(_text_of(m.get("content")).split()) for m in messages)
    created = int(time.time())
    completion_id = f"chatcmpl-stub-{state['requests']}"
    if payload.get("stream"):
        return await _stream(request, message, finish, completion_id, created)
    body = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": payload.get("model") or STUB_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
        },
    }
    return web.Response(body=json.dumps(body).encode(), content_type="application/json")


async def _stream(
    request: web.Request, message: dict[str, Any], finish: str, completion_id: str, created: int
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)

    async def send(delta: dict[str, Any], finish_reason: str | None = None) -> None:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": STUB_MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

    await send({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        calls = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
        await send({"tool_calls": calls})
    content = message.get("content") or ""
    for index, word in enumerate(content.split(" ") if content else []):
        await send({"content": word if index == 0 else " " + word})
    await send({}, finish)
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _models(request: web.Request) -> web.Response:
    body = {"object": "list", "data": [{"id": STUB_MODEL, "object": "model", "owned_by": "stub"}]}
    return web.json_response(body)


async def _stats(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    keys = ("requests", "failures", "with_auth", "images_seen")
    stats = {k: state[k] for k in keys}
    if request.query.get("arrivals"):
        stats["arrivals"] = state["arrivals"]
    return web.json_response(stats)


def create_app(
    *,
    delay: float = 0.05,
    fail_rate: float = 0.0,
    seed: int = 0,
    mode: str = "ok",
    api_key: str | None = None,
    images: bool = True,
    agent: str | None = None,
    agent_script: dict[str, Any] | None = None,
    fail_on: Collection[int] = (),
) -> web.Application:
    """The stub as an aiohttp application.

    ``mode``: ok | unauthorized (401) | malformed (200, body not JSON) | empty
    (200, empty content) | rate_limited (429 with ``Retry-After: 1`` on the
    first request of each conversation, then ok) | error (always 500).
    ``fail_rate`` answers that fraction of requests with 500 (seeded); ``fail_on``
    answers these chat requests with 500, by number (1-based, in order of arrival).
    ``api_key``, if set, makes requests without ``Bearer <api_key>`` get 401.
    ``images=False`` answers requests with image parts 400, as a text-only model does.
    ``agent`` (oracle, follow, ignore) plays that reference agent from ``agent_script``.
    """
    if mode not in MODES:
        raise ValueError(f"unknown stub mode {mode!r}; one of {', '.join(MODES)}")
    if not 0.0 <= fail_rate <= 1.0:
        raise ValueError("fail_rate must be in [0, 1]")
    if agent is not None and (agent not in AGENTS or agent_script is None):
        raise ValueError(f"agent must be one of {', '.join(AGENTS)}, with an agent_script")
    app = web.Application()
    app[_STATE] = {
        "delay": delay,
        "fail_rate": fail_rate,
        "fail_on": frozenset(fail_on),
        "mode": mode,
        "api_key": api_key,
        "rng": random.Random(seed),
        "seen": set(),
        "requests": 0,
        "failures": 0,
        "with_auth": 0,
        "arrivals": [],
        "images": images,
        "images_seen": 0,
        "agent": agent,
        "agent_script": agent_script,
    }
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/chat/completions", _chat)
    app.router.add_get("/v1/models", _models)
    app.router.add_get("/stats", _stats)
    return app


@asynccontextmanager
async def running_stub(**kwargs: Any) -> AsyncIterator[str]:
    """Run the stub on 127.0.0.1 on a free port; yield its base URL (``.../v1``).

    Keyword arguments are those of :func:`create_app`. Statistics are at
    ``base_url.removesuffix("/v1") + "/stats"``.
    """
    runner = web.AppRunner(create_app(**kwargs), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/v1"
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m redline.testing.openai_stub",
        description="An OpenAI-compatible stub server for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction answered 500")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--api-key-env", help="require the key in this env var as a Bearer token")
    parser.add_argument(
        "--no-images", action="store_true", help="answer requests with images 400 (text-only)"
    )
    parser.add_argument("--agent", choices=AGENTS, help="play this scripted reference agent")
    parser.add_argument("--agent-script", help="JSON script of the reference agent's tasks")
    args = parser.parse_args(argv)
    if args.agent and not args.agent_script:
        parser.error("--agent needs --agent-script FILE")
    script = None
    if args.agent_script:
        with open(args.agent_script, encoding="utf-8") as file:
            script = json.load(file)
    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            parser.error(f"${args.api_key_env} is not set")
    app = create_app(
        delay=args.delay,
        fail_rate=args.fail_rate,
        seed=args.seed,
        mode=args.mode,
        api_key=api_key,
        images=not args.no_images,
        agent=args.agent,
        agent_script=script,
    )
    print(f"stub listening on http://{args.host}:{args.port}/v1", file=sys.stderr, flush=True)
    try:
        # The stub stands in for a fast server: on uvloop it spends about a
        # third less CPU per request, so benchmarks measure the client.
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = asyncio.new_event_loop
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        loop=loop_factory(),
    )


if __name__ == "__main__":
    main()
