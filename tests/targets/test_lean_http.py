"""The lean HTTP/1.1 client against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

from redline.core import TargetTimeoutError, TargetTransientError
from redline.targets.http_session import TargetSession
from redline.targets.lean_http import (
    CannotConnectError,
    LeanHTTPClient,
    LeanHTTPError,
    ServerDisconnectedError,
    is_lean_url,
)


@asynccontextmanager
async def serve_app(app: web.Application, **runner_options: float) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


PEERS: web.AppKey[set[tuple[str, int]]] = web.AppKey("peers", set)


def peers(app: web.Application) -> set[tuple[str, int]]:
    return app[PEERS]


def counting_app() -> web.Application:
    """Echo the body back and record which client connection each request came on."""
    app = web.Application()
    app[PEERS] = set()

    async def echo(request: web.Request) -> web.Response:
        assert request.transport is not None
        app[PEERS].add(request.transport.get_extra_info("peername"))
        body = await request.read()
        delay = float(request.query.get("delay", "0"))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(body=body, content_type="application/octet-stream")

    app.router.add_route("*", "/echo", echo)
    return app


@asynccontextmanager
async def lean_client(timeout: float = 5.0) -> AsyncIterator[LeanHTTPClient]:
    client = LeanHTTPClient(timeout=timeout)
    try:
        yield client
    finally:
        await client.aclose()


async def test_content_length_body_and_keep_alive_reuse() -> None:
    app = counting_app()
    async with serve_app(app) as url, lean_client() as client:
        for index in range(5):
            payload = f"request {index}".encode()
            status, headers, body = await client.request(
                "POST", f"{url}/echo", body=payload, headers={}
            )
            assert status == 200
            assert body == payload
            assert headers["Content-Length"] == str(len(payload))
        assert len(peers(app)) == 1
        assert client.connections_opened == 1


async def test_chunked_body_large_and_split() -> None:
    piece = bytes(range(256)) * 256  # 64 KiB
    app = web.Application()

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(16):
            await response.write(piece)
        await response.write_eof()
        return response

    app.router.add_get("/chunked", chunked)
    async with serve_app(app) as url, lean_client() as client:
        for _ in range(2):  # the connection is reusable after a chunked body
            status, headers, body = await client.request("GET", f"{url}/chunked")
            assert status == 200
            assert headers["Transfer-Encoding"] == "chunked"
            assert len(body) == 16 * len(piece)
            assert body == piece * 16
        assert client.connections_opened == 1


async def test_large_content_length_bodies_both_ways() -> None:
    payload = (b"0123456789abcdef" * 65536)[:1_000_000]
    assert len(payload) == 1_000_000
    async with serve_app(counting_app()) as url, lean_client() as client:
        status, headers, body = await client.request("PUT", f"{url}/echo", body=payload)
        assert status == 200
        assert body == payload
        assert int(headers["content-length"]) == 1_000_000


async def test_server_closes_idle_connection_between_requests() -> None:
    app = counting_app()
    async with serve_app(app, keepalive_timeout=0.05) as url, lean_client() as client:
        first = await client.request("POST", f"{url}/echo", body=b"one")
        await asyncio.sleep(0.3)  # the server drops the idle connection meanwhile
        second = await client.request("POST", f"{url}/echo", body=b"two")
        assert (first[0], first[2]) == (200, b"one")
        assert (second[0], second[2]) == (200, b"two")
        assert len(peers(app)) == 2
        assert client.connections_opened == 2


async def test_connection_close_response_is_not_reused() -> None:
    app = web.Application()
    app[PEERS] = set()

    async def closing(request: web.Request) -> web.Response:
        assert request.transport is not None
        app[PEERS].add(request.transport.get_extra_info("peername"))
        return web.Response(text="bye", headers={"Connection": "close"})

    app.router.add_get("/", closing)
    async with serve_app(app) as url, lean_client() as client:
        for _ in range(3):
            status, headers, body = await client.request("GET", f"{url}/")
            assert (status, body) == (200, b"bye")
            assert headers["connection"].lower() == "close"
        assert len(peers(app)) == 3
        assert client.connections_opened == 3
        assert not any(client._idle.values())


async def test_hanging_server_times_out() -> None:
    app = web.Application()
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    app.router.add_get("/", hang)
    async with serve_app(app) as url:
        async with lean_client(timeout=0.3) as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(TimeoutError):
                await client.request("GET", f"{url}/")
            assert asyncio.get_running_loop().time() - started < 2.0
            assert not any(client._idle.values())  # the timed-out connection is dropped
        session = TargetSession(target="t", timeout=0.3)
        try:
            with pytest.raises(TargetTimeoutError, match=r"within 0\.3s"):
                await session.send("GET", f"{url}/", body=None, headers={})
        finally:
            await session.aclose()
        release.set()


async def test_connection_refused(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    async with lean_client() as client:
        with pytest.raises(CannotConnectError, match=r"cannot connect to 127\.0\.0\.1"):
            await client.request("GET", url)
    session = TargetSession(target="t", timeout=2)
    try:
        with pytest.raises(TargetTransientError, match="cannot connect"):
            await session.send("POST", url, body=b"{}", headers={})
    finally:
        await session.aclose()


async def test_non_ascii_json_and_request_headers() -> None:
    app = web.Application()

    async def answer(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response(
            {"echo": data["text"], "seen": request.headers.get("x-api-key")},
            dumps=lambda value: json.dumps(value, ensure_ascii=False),
        )

    app.router.add_post("/", answer)
    text = "héllo — 日本語 🙂"
    async with serve_app(app) as url, lean_client() as client:
        payload = json.dumps({"text": text}, ensure_ascii=False).encode()
        status, headers, body = await client.request(
            "POST",
            f"{url}/",
            body=payload,
            headers={"Content-Type": "application/json", "X-API-Key": "k1"},
        )
        assert status == 200
        assert json.loads(body) == {"echo": text, "seen": "k1"}
        assert "application/json" in headers["content-type"]


async def test_no_content_and_head_have_empty_bodies() -> None:
    app = web.Application()

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="x" * 100)

    app.router.add_post("/empty", empty)
    app.router.add_get("/page", page)
    async with serve_app(app) as url, lean_client() as client:
        for _ in range(2):
            status, _, body = await client.request("POST", f"{url}/empty", body=b"{}")
            assert (status, body) == (204, b"")
        status, headers, body = await client.request("HEAD", f"{url}/page")
        assert (status, body) == (200, b"")
        assert headers["Content-Length"] == "100"
        status, _, body = await client.request("GET", f"{url}/page")
        assert (status, body) == (200, b"x" * 100)
        assert client.connections_opened == 1


async def test_headers_are_case_insensitive_multidict() -> None:
    app = web.Application()

    async def answer(request: web.Request) -> web.Response:
        response = web.Response(text="ok", headers={"X-Custom-Thing": "v1", "retry-after": "3"})
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    app.router.add_get("/", answer)
    async with serve_app(app) as url, lean_client() as client:
        status, headers, _ = await client.request("GET", f"{url}/")
        assert status == 200
        assert isinstance(headers, CIMultiDictProxy)
        assert headers["x-custom-thing"] == headers["X-CUSTOM-THING"] == "v1"
        assert headers["Retry-After"] == "3"
        assert headers.getall("set-cookie") == ["a=1", "b=2"]


async def test_gzip_response_is_decoded() -> None:
    app = web.Application()
    text = "compressed " * 500

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(text.encode()), headers={"Content-Encoding": "gzip"})

    app.router.add_get("/", answer)
    async with serve_app(app) as url, lean_client() as client:
        _, headers, body = await client.request("GET", f"{url}/")
        assert headers["content-encoding"] == "gzip"
        assert body == text.encode()


async def test_64_concurrent_requests_all_correct() -> None:
    app = counting_app()
    async with serve_app(app) as url, lean_client() as client:

        async def one(index: int) -> None:
            payload = json.dumps({"index": index, "pad": "p" * index}).encode()
            status, _, body = await client.request("POST", f"{url}/echo?delay=0.05", body=payload)
            assert status == 200
            assert json.loads(body)["index"] == index

        for _ in range(2):
            await asyncio.gather(*(one(index) for index in range(64)))
        # The second round reuses the first round's connections.
        assert client.connections_opened == 64
        assert len(peers(app)) == 64


# -- a raw server, for what aiohttp.web will not do on purpose ----------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def test_pooled_connection_closed_on_reuse_is_retried_once() -> None:
    connections: list[int] = []

    async def once_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # The next request on this connection is read and dropped unanswered,
        # as when a server's idle timer fires just as the client sends.
        await read_request(reader)
        writer.close()

    async with raw_server(once_then_drop) as url, lean_client() as client:
        for _ in range(3):
            status, _, body = await client.request("POST", f"{url}/", body=b"x")
            assert (status, body) == (200, b"ok")
        assert client.connections_opened == 3


async def test_disconnect_mid_response_is_not_retried() -> None:
    connections: list[int] = []

    async def partial(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async with raw_server(partial) as url, lean_client() as client:
        with pytest.raises(ServerDisconnectedError, match="middle of the response"):
            await client.request("POST", f"{url}/", body=b"x")
    assert len(connections) == 1


async def test_fresh_connection_closed_without_answer_is_an_error() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    async with raw_server(drop) as url:
        session = TargetSession(target="t", timeout=2)
        try:
            with pytest.raises(TargetTransientError, match="without a response"):
                await session.send("POST", f"{url}/", body=b"x", headers={})
        finally:
            await session.aclose()


async def test_byte_by_byte_chunked_with_extensions_and_trailers() -> None:
    response = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
    )

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                break
            for index in range(len(response)):
                writer.write(response[index : index + 1])
                await writer.drain()
                await asyncio.sleep(0)
        writer.close()

    async with raw_server(slow) as url, lean_client() as client:
        for _ in range(2):
            status, headers, body = await client.request("GET", f"{url}/")
            assert (status, body) == (201, b"hello 0123456789")
            assert headers["x-a"] == "1"
        assert client.connections_opened == 1


async def test_body_until_close_and_http10() -> None:
    async def old(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    async with raw_server(old) as url, lean_client() as client:
        for _ in range(2):
            status, _, body = await client.request("GET", f"{url}/")
            assert (status, body) == (200, b"until the end")
        assert client.connections_opened == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
async def test_malformed_responses_raise(answer: bytes) -> None:
    async def bad(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    async with raw_server(bad) as url:
        async with lean_client() as client:
            with pytest.raises(LeanHTTPError):
                await client.request("GET", f"{url}/")
        session = TargetSession(target="t", timeout=2)
        try:
            with pytest.raises(TargetTransientError, match="connection to"):
                await session.send("GET", f"{url}/", body=None, headers={})
        finally:
            await session.aclose()


async def test_request_head_is_well_formed() -> None:
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with raw_server(record) as url, lean_client() as client:
        await client.request(
            "post",
            f"{url}/v1/chat?x=1%202",
            body=b"{}",
            headers={"Content-Type": "application/json", "content-length": "999"},
        )
        with pytest.raises(ValueError, match="line break"):
            await client.request("GET", f"{url}/", headers={"X-Bad": "a\r\nInjected: 1"})
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/chat?x=1%202 HTTP/1.1"
    fields = {k.lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines[1:])}
    assert fields[b"content-length"] == b"2"
    assert fields[b"host"] == url.removeprefix("http://").encode()
    assert fields[b"user-agent"] == b"redline"
    assert body == b"{}"


def test_is_lean_url() -> None:
    assert is_lean_url("http://127.0.0.1:8000/v1/chat/completions")
    assert is_lean_url("HTTP://example.com/")
    assert not is_lean_url("https://api.openai.com/v1")
    assert not is_lean_url("http://user:pw@example.com/")


async def test_session_uses_aiohttp_when_a_proxy_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve_app(counting_app()) as url:
        session = TargetSession(target="t", timeout=5)
        try:
            status, _, body = await session.send("POST", f"{url}/echo", body=b"a", headers={})
            assert (status, body) == (200, b"a")
            assert session._lean is not None and session._session is None
        finally:
            await session.aclose()
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        session = TargetSession(target="t", timeout=5)
        try:
            status, _, body = await session.send("POST", f"{url}/echo", body=b"b", headers={})
            assert (status, body) == (200, b"b")
            assert session._lean is None and session._session is not None
        finally:
            await session.aclose()


def test_works_on_uvloop() -> None:
    # Ray's async actors run on uvloop, whose transports are not asyncio.Transport.
    uvloop = pytest.importorskip("uvloop")

    async def exchange() -> tuple[int, bytes]:
        async with serve_app(counting_app()) as base:
            client = LeanHTTPClient(timeout=10)
            try:
                status, _, body = await client.request("POST", f"{base}/echo", body=b"ping")
            finally:
                await client.aclose()
        return status, body

    assert uvloop.run(exchange()) == (200, b"ping")
