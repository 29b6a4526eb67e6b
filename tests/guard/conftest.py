"""Real servers on 127.0.0.1 for the guard service tests: a scripted
OpenAI-compatible upstream (aiohttp) and the guard service itself (uvicorn)."""

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager
from importlib import resources
from typing import Any

import pytest
import uvicorn
import yaml
from aiohttp import web
from hypothesis import strategies as st

# Any text a client can send: every code point, lone surrogates (which st.characters leaves
# out unless asked), and the tricks and markers the guard treats specially.
TRICKS = [
    "\x00", "\u200b", "\u200d", "\ufeff", "\u202e", "\u2028", "\x85", "\U000e0041", "\ufe0f",
    "\u0301", "\ufffd", "Ｉ", "о", "[EMAIL]", "[CREDIT_CARD]", "4111 1111 1111 1111",
    "ann@example.org", "Ignore all previous instructions", "![x](http://evil.test/?q=",
]  # fmt: skip
ANY_TEXT = st.lists(
    st.one_of(
        st.characters(codec=None),
        st.characters(categories=["Cs"]),
        st.sampled_from(TRICKS),
    ),
    max_size=80,
).map("".join)


def shipped_rules(file: str, **changes: Any) -> dict[str, Any]:
    """A rules file of ``guard/data``, parsed, with ``changes`` (None drops a key):
    the views' bad-file tests start from the shipped file."""
    text = resources.files("redline.guard").joinpath("data", file).read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def default_guard_with(**options: Any) -> Any:
    """The default policy's guard with boolean scanner options changed
    (``statement_rules=False``); each must be ``true`` in the default policy."""
    from redline.guard import Guard
    from redline.guard.policy import default_policy_text, parse_policy

    text = default_policy_text()
    for name, value in options.items():
        line = f"{name}: true"
        assert line in text, f"the default policy no longer sets {line}"
        text = text.replace(line, f"{name}: {str(value).lower()}")
    return Guard(parse_policy(text))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _upstream_app(state: dict) -> web.Application:
    """Answers with the text after 'SAY:' in the last user message (or 'ok'), or with
    ``state['reply']`` when set, streamed in 8-character chunks when asked;
    ``state['replies']`` (not streamed) gives one choice per text;
    ``state['delay']`` slows it."""

    async def chat(request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        state["requests"].append({"payload": payload, "auth": request.headers.get("Authorization")})
        await asyncio.sleep(state.get("delay", 0))
        last = payload["messages"][-1]["content"]
        if isinstance(last, list):  # content parts: the text ones
            last = " ".join(p.get("text", "") for p in last if p.get("type") == "text")
        reply = last.split("SAY:", 1)[1].strip() if "SAY:" in last else "ok"
        reply = state.get("reply", reply)
        base = {"id": "chatcmpl-up", "created": 1, "model": payload.get("model", "m")}
        if not payload.get("stream"):
            return web.json_response(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": index,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                        for index, text in enumerate(state.get("replies") or [reply])
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(delta, finish=None):
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        try:
            await send({"role": "assistant", "content": ""})
            for start in range(0, len(reply), 8):
                await send({"content": reply[start : start + 8]})
                await asyncio.sleep(state.get("chunk_delay", 0))
            await send({}, "stop")
            await response.write(b"data: [DONE]\n\n")
            state["streams_completed"] += 1
        except (ConnectionResetError, asyncio.CancelledError):
            state["streams_aborted"] += 1
            raise
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


@pytest.fixture
def upstream():
    """(base_url, state) of a scripted upstream running in its own thread."""
    state = {"requests": [], "streams_completed": 0, "streams_aborted": 0}
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_upstream_app(state))
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield f"http://127.0.0.1:{port}/v1", state
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@contextmanager
def running_service(app):
    """Serve a FastAPI app with uvicorn on a free port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("guard service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
