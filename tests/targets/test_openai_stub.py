from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest

from redline.testing import create_app, running_stub


async def post(session: aiohttp.ClientSession, url: str, body: dict) -> tuple[int, bytes]:
    async with session.post(url + "/chat/completions", json=body) as response:
        return response.status, await response.read()


def chat(text: str, **extra) -> dict:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


async def test_models_stats_and_max_tokens():
    async with running_stub(delay=0) as url, aiohttp.ClientSession() as session:
        async with session.get(url + "/models") as response:
            models = await response.json()
        status, raw = await post(session, url, chat("one two three four five", max_tokens=3))
        async with session.get(url.removesuffix("/v1") + "/stats") as response:
            stats = await response.json()
    assert models["data"][0]["id"] == "redline-stub"
    assert status == 200
    body = json.loads(raw)
    assert body["choices"][0]["message"]["content"] == "Sure: one two"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3
    assert stats == {"requests": 1, "failures": 0, "with_auth": 0, "images_seen": 0}


async def test_streaming_sends_openai_chunks():
    async with (
        running_stub(delay=0) as url,
        aiohttp.ClientSession() as session,
        session.post(url + "/chat/completions", json=chat("a b", stream=True)) as r,
    ):
        assert r.headers["Content-Type"].startswith("text/event-stream")
        raw = (await r.read()).decode()
    events = [line[6:] for line in raw.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "Sure: a b"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_fail_on_answers_those_request_numbers_500():
    async with running_stub(delay=0, fail_on={2, 3}) as url, aiohttp.ClientSession() as session:
        statuses = [(await post(session, url, chat(f"n {i}")))[0] for i in range(5)]
        async with session.get(url.removesuffix("/v1") + "/stats") as response:
            stats = await response.json()
    assert statuses == [200, 500, 500, 200, 200]
    assert (stats["requests"], stats["failures"]) == (5, 2)


async def test_fail_rate_is_seeded_and_roughly_that_fraction():
    async def failures(seed: int) -> list[int]:
        async with (
            running_stub(delay=0, fail_rate=0.25, seed=seed) as url,
            aiohttp.ClientSession() as session,
        ):
            return [(await post(session, url, chat("x")))[0] for _ in range(200)]

    first, second, other = await failures(1), await failures(1), await failures(2)
    assert first == second
    assert first != other
    assert set(first) == {200, 500}
    assert 30 <= first.count(500) <= 70


@pytest.mark.parametrize(
    ("mode", "status"),
    [("unauthorized", 401), ("error", 500), ("malformed", 200), ("empty", 200)],
)
async def test_modes(mode, status):
    async with running_stub(delay=0, mode=mode) as url, aiohttp.ClientSession() as session:
        got, raw = await post(session, url, chat("x"))
    assert got == status
    if mode == "malformed":
        with pytest.raises(ValueError):
            json.loads(raw)
    if mode == "empty":
        assert json.loads(raw)["choices"][0]["message"]["content"] == ""


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown stub mode"):
        create_app(mode="sometimes")
    with pytest.raises(ValueError, match="fail_rate"):
        create_app(fail_rate=2)


async def test_the_official_openai_client_accepts_it():
    openai = pytest.importorskip("openai")
    async with running_stub(delay=0) as url:
        client = openai.AsyncOpenAI(base_url=url, api_key="unused", max_retries=0)
        reply = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi [refuse]"}]
        )
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "streamed words"}], stream=True
        )
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
        await client.close()
    assert reply.choices[0].message.content == "I cannot help with that."
    assert "".join(pieces) == "Sure: streamed words"


def test_runs_as_a_module(closed_port):
    port = closed_port
    process = subprocess.Popen(
        [sys.executable, "-m", "redline.testing.openai_stub", "--port", str(port), "--delay", "0"],
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models") as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["data"][0]["id"] == "redline-stub"
    finally:
        process.terminate()
        process.wait(timeout=10)
