"""A lean HTTP/1.1 client for plain ``http://`` targets.

aiohttp spends about 0.3 ms of CPU per request; when 64 answers arrive in one
burst that CPU is what delays the last of them. This client does only what
``TargetSession.send`` needs — one request, the whole body back — on an
``asyncio.Protocol`` with a keep-alive pool per (host, port), and spends a
fraction of that. TLS, proxies and streaming stay on aiohttp.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Mapping
from typing import cast

import yarl
from multidict import CIMultiDict, CIMultiDictProxy

# A response head larger than this is not one an LLM endpoint sends.
MAX_HEAD_BYTES = 64 * 1024
# Idle connections kept per (host, port); more are closed on release.
MAX_IDLE_PER_HOST = 256
# A pooled connection idle longer than this is closed rather than reused:
# servers close idle keep-alive connections and reusing one races that close.
IDLE_REUSE_S = 15.0
# Bodies above this size go out in their own write instead of being copied
# onto the request head.
JOIN_BODY_BYTES = 64 * 1024

_HEX = re.compile(rb"[0-9A-Fa-f]+")
_NO_BODY_STATUSES = frozenset((204, 304))
_URL_CACHE_MAX = 1024

_HEAD, _BODY_LENGTH, _BODY_CHUNKED, _BODY_EOF, _DONE = range(5)
_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_TRAILER = range(3)


class LeanHTTPError(ConnectionError):
    """The connection failed or the server's answer was not valid HTTP/1.1."""


class ServerDisconnectedError(LeanHTTPError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: str, *, received: bool) -> None:
        super().__init__(message)
        self.received = received


class CannotConnectError(LeanHTTPError):
    """The TCP connection could not be opened."""

    def __init__(self, host: str, port: int, os_error: OSError) -> None:
        super().__init__(f"cannot connect to {host}:{port}: {os_error}")
        self.os_error = os_error


class _Target:
    __slots__ = ("host", "host_header", "key", "path", "port")

    def __init__(self, url: str) -> None:
        parsed = yarl.URL(url)
        if parsed.scheme != "http" or not parsed.raw_host:
            raise ValueError(f"not a plain http:// URL: {url}")
        host = parsed.raw_host
        port = parsed.port or 80
        self.host = host
        self.port = port
        self.key = (host, port)
        bracketed = f"[{host}]" if ":" in host else host
        self.host_header = bracketed if port == 80 else f"{bracketed}:{port}"
        self.path = parsed.raw_path_qs or "/"


def is_lean_url(url: str) -> bool:
    """Whether ``url`` is a plain ``http://`` URL this client can send to."""
    if url[:7].lower() != "http://":
        return False
    parsed = yarl.URL(url)
    return bool(parsed.raw_host) and parsed.raw_user is None and parsed.raw_password is None


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses a response as its bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[tuple[int, CIMultiDictProxy[str], bytes, bool]] | None = None
        self._buf = bytearray()
        self._phase = _DONE
        self._head_request = False
        self._received = False

    # -- asyncio.Protocol -------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # No isinstance check: uvloop's transports (Ray actors run on uvloop) do
        # not subclass asyncio.Transport, and a failed assert here is swallowed
        # by the loop, leaving the connection without a transport.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for: the connection's framing is lost.
            self.close()
            return
        self._received = True
        self._buf += data
        try:
            self._parse()
        except LeanHTTPError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        self._finish_at_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish_at_eof()

    # -- request / response -----------------------------------------------

    def start(
        self, data: bytes, body: bytes | None, *, head_request: bool
    ) -> asyncio.Future[tuple[int, CIMultiDictProxy[str], bytes, bool]]:
        """Write one request and return the future of its response."""
        waiter = self._loop.create_future()
        self._waiter = waiter
        self._buf = bytearray()
        self._phase = _HEAD
        self._head_request = head_request
        self._received = False
        self._body_start = 0
        transport = self.transport
        assert transport is not None
        if body is not None:
            transport.writelines((data, body))
        else:
            transport.write(data)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, exc: BaseException) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self._phase = _DONE
        self.abort()

    def _finish_at_eof(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._phase == _BODY_EOF:
            body = bytes(self._buf[self._body_start :])
            self._complete(body, keep_alive=False)
            return
        if self._received:
            message = "the server closed the connection in the middle of the response"
        else:
            message = "the server closed the connection without a response"
        self._fail(ServerDisconnectedError(message, received=self._received))

    def _complete(self, body: bytes, *, keep_alive: bool) -> None:
        self._phase = _DONE
        encoding = self._headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate") and body:
            body = _decompress(body, encoding)
        waiter = self._waiter
        assert waiter is not None
        waiter.set_result((self._status, CIMultiDictProxy(self._headers), body, keep_alive))

    def _parse(self) -> None:
        buf = self._buf
        while self._phase == _HEAD:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD_BYTES:
                    raise LeanHTTPError("response head larger than 64 KiB")
                return
            self._parse_head(bytes(buf[:end]))
            start = end + 4
            if 100 <= self._status < 200:
                if self._status == 101:
                    raise LeanHTTPError("the server switched protocols (HTTP 101)")
                del buf[:start]  # an interim answer (100 Continue): the real one follows
                self._phase = _HEAD
                continue
            self._body_start = start
        if self._phase == _BODY_LENGTH:
            end = self._body_start + self._length
            if len(buf) < end:
                return
            if len(buf) > end:
                raise LeanHTTPError("the server sent more bytes than Content-Length")
            body = bytes(buf[self._body_start :]) if self._length else b""
            self._complete(body, keep_alive=self._keep_alive)
        elif self._phase == _BODY_CHUNKED:
            self._parse_chunks()

    def _parse_head(self, head: bytes) -> None:
        # One decode for the whole head; bytes that are not UTF-8 survive as
        # surrogates, as aiohttp keeps them.
        lines = head.decode("utf-8", "surrogateescape").split("\r\n")
        status_line = lines[0]
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or len(parts[1]) != 3:
            raise LeanHTTPError(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
        if not (parts[1].isascii() and parts[1].isdigit()):
            raise LeanHTTPError(f"bad status code: {status_line[:80]!r}")
        status = int(parts[1])
        http10 = parts[0] == "HTTP/1.0"
        pairs: list[tuple[str, str]] = []
        length: str | None = None
        chunked = False
        transfer_encoding = False
        connection = ""
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and pairs:
                # Obsolete line folding: continues the previous header's value.
                name, value = pairs[-1]
                pairs[-1] = (name, value + " " + line.strip())
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise LeanHTTPError(f"bad response header line: {line[:80]!r}")
            value = value.strip()
            pairs.append((name, value))
            lower = name.lower()
            if lower == "content-length":
                if length is not None and length != value:
                    raise LeanHTTPError("conflicting Content-Length headers")
                length = value
            elif lower == "transfer-encoding":
                transfer_encoding = True
                chunked = value.lower().rsplit(",", 1)[-1].strip() == "chunked"
            elif lower == "connection":
                connection += "," + value.lower()
        self._status = status
        self._headers = CIMultiDict(pairs)
        tokens = {token.strip() for token in connection.split(",")}
        keep_alive = "keep-alive" in tokens if http10 else "close" not in tokens
        if self._head_request or status in _NO_BODY_STATUSES or status < 200:
            self._length = 0
            self._phase = _BODY_LENGTH
        elif transfer_encoding:
            if chunked:
                self._phase = _BODY_CHUNKED
                self._chunk_state = _CHUNK_SIZE
                self._chunks: list[bytes] = []
                # Both headers present: framing is ambiguous, never reuse.
                if length is not None:
                    keep_alive = False
            else:
                self._phase = _BODY_EOF
                keep_alive = False
        elif length is not None:
            if not (length.isascii() and length.isdigit()):
                raise LeanHTTPError(f"bad Content-Length: {length[:40]!r}")
            self._length = int(length)
            self._phase = _BODY_LENGTH
        else:
            self._phase = _BODY_EOF
            keep_alive = False
        self._keep_alive = keep_alive
        self._chunk_pos = -1

    def _parse_chunks(self) -> None:
        buf = self._buf
        pos = self._body_start if self._chunk_pos < 0 else self._chunk_pos
        while True:
            if self._chunk_state == _CHUNK_SIZE:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if len(buf) - pos > 1024:
                        raise LeanHTTPError("chunk size line longer than 1 KiB")
                    break
                size_field = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
                if not _HEX.fullmatch(size_field):
                    raise LeanHTTPError(f"bad chunk size: {size_field[:40]!r}")
                self._chunk_size = int(size_field, 16)
                pos = eol + 2
                self._chunk_state = _CHUNK_DATA if self._chunk_size else _CHUNK_TRAILER
            elif self._chunk_state == _CHUNK_DATA:
                end = pos + self._chunk_size
                if len(buf) < end + 2:
                    break
                if buf[end : end + 2] != b"\r\n":
                    raise LeanHTTPError("chunk data not followed by CRLF")
                self._chunks.append(bytes(buf[pos:end]))
                pos = end + 2
                self._chunk_state = _CHUNK_SIZE
            else:
                if buf.startswith(b"\r\n", pos):
                    end = pos + 2
                else:
                    trailer_end = buf.find(b"\r\n\r\n", pos)
                    if trailer_end < 0:
                        if len(buf) - pos > MAX_HEAD_BYTES:
                            raise LeanHTTPError("chunked trailers larger than 64 KiB")
                        break
                    end = trailer_end + 4
                if len(buf) > end:
                    raise LeanHTTPError("the server sent bytes after the chunked body")
                self._complete(b"".join(self._chunks), keep_alive=self._keep_alive)
                return
        # Drop what is parsed so a large body is not rescanned or held twice.
        del buf[:pos]
        self._body_start = 0
        self._chunk_pos = 0


def _decompress(body: bytes, encoding: str) -> bytes:
    try:
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some send
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    except zlib.error as exc:
        raise LeanHTTPError(f"cannot decode the {encoding} body: {exc}") from None


class LeanHTTPClient:
    """Keep-alive HTTP/1.1 client for plain ``http://`` URLs, bound to one event loop.

    ``request`` returns ``(status, headers, body)`` with the whole body read;
    failures raise ``TimeoutError`` (after ``timeout`` seconds for the whole
    request) or ``OSError`` subclasses (``CannotConnectError``,
    ``ServerDisconnectedError``, ``LeanHTTPError``).
    """

    def __init__(self, *, timeout: float, user_agent: str = "redline") -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self.loop = asyncio.get_running_loop()
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._targets: dict[str, _Target] = {}
        self.closed = False
        self.connections_opened = 0

    def _target(self, url: str) -> _Target:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= _URL_CACHE_MAX:
                self._targets.clear()
            target = self._targets[url] = _Target(url)
        return target

    def _request_head(
        self, method: str, target: _Target, body: bytes | None, headers: Mapping[str, str]
    ) -> bytes:
        lines = [f"{method} {target.path} HTTP/1.1\r\n"]
        given: set[str] = set()
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"request header {name!r} contains a line break")
            lower = name.lower()
            # Framing is ours to write; a caller's value could only break it.
            if lower in ("content-length", "transfer-encoding", "connection", "host"):
                if lower == "host":
                    given.add(lower)
                    lines.append(f"Host: {value}\r\n")
                continue
            given.add(lower)
            lines.append(f"{name}: {value}\r\n")
        if "host" not in given:
            lines.append(f"Host: {target.host_header}\r\n")
        if "user-agent" not in given:
            lines.append(f"User-Agent: {self.user_agent}\r\n")
        if "accept" not in given:
            lines.append("Accept: */*\r\n")
        if body is not None:
            if "content-type" not in given:
                lines.append("Content-Type: application/octet-stream\r\n")
            lines.append(f"Content-Length: {len(body)}\r\n")
        elif method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("utf-8", "surrogateescape")

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Send one request and read the whole response."""
        if self.closed:
            raise LeanHTTPError("the client is closed")
        method = method.upper()
        target = self._target(url)
        head = self._request_head(method, target, body, headers or {})
        if body is not None and len(body) <= JOIN_BODY_BYTES:
            head, body = head + body, None
        async with asyncio.timeout(self.timeout):
            connection = self._checkout(target.key)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(target)
            try:
                result = await self._exchange(connection, head, body, method)
            except ServerDisconnectedError as exc:
                # A pooled connection the server had already closed: the
                # request never reached it, so sending it again is safe.
                if not reused or exc.received:
                    raise
                connection = await self._connect(target)
                result = await self._exchange(connection, head, body, method)
        status, response_headers, raw, keep_alive = result
        if keep_alive:
            self._release(target.key, connection)
        else:
            self._busy.discard(connection)
            connection.close()
        return status, response_headers, raw

    async def _exchange(
        self, connection: _Connection, head: bytes, body: bytes | None, method: str
    ) -> tuple[int, CIMultiDictProxy[str], bytes, bool]:
        try:
            return await connection.start(head, body, head_request=method == "HEAD")
        except BaseException:
            # Timed out, cancelled or failed mid-response: the connection's
            # state is unknown, so it is never reused.
            self._busy.discard(connection)
            connection.abort()
            raise

    def _checkout(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = self.loop.time()
        while idle:
            connection = idle.pop()
            transport = connection.transport
            if connection.closed or transport is None or transport.is_closing():
                continue
            if now - connection.idle_since > IDLE_REUSE_S:
                connection.close()
                continue
            self._busy.add(connection)
            return connection
        return None

    async def _connect(self, target: _Target) -> _Connection:
        try:
            _, connection = await self.loop.create_connection(
                lambda: _Connection(self.loop), target.host, target.port
            )
        except OSError as exc:
            raise CannotConnectError(target.host, target.port, exc) from None
        self.connections_opened += 1
        if self.closed:
            connection.close()
            raise LeanHTTPError("the client is closed")
        self._busy.add(connection)
        return connection

    def _release(self, key: tuple[str, int], connection: _Connection) -> None:
        self._busy.discard(connection)
        idle = self._idle.setdefault(key, [])
        if self.closed or connection.closed or len(idle) >= MAX_IDLE_PER_HOST:
            connection.close()
            return
        connection.idle_since = self.loop.time()
        idle.append(connection)

    async def aclose(self) -> None:
        """Close every connection, idle or in use."""
        self.closed = True
        connections = [c for idle in self._idle.values() for c in idle]
        connections.extend(self._busy)
        self._idle.clear()
        self._busy.clear()
        for connection in connections:
            connection.close()
        # Let the transports run their close callbacks inside this loop.
        await asyncio.sleep(0)
