"""One connection pool per target, created lazily inside the running event loop.

Plain ``http://`` URLs go through the lean HTTP/1.1 client (a fraction of
aiohttp's CPU per request); https and proxied traffic go through aiohttp.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from multidict import CIMultiDictProxy

from redline.core import Message, TargetRequestError, TargetUnreachableError
from redline.targets.http_errors import error_for_exception, error_for_status
from redline.targets.image_inputs import unsupported_if_images_rejected
from redline.targets.lean_http import CannotConnectError, LeanHTTPClient, is_lean_url

if TYPE_CHECKING:
    import aiohttp

PROXY_ENV_VARS = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class TargetSession:
    """The connection pool of one HTTP target.

    The session is built on first use because an aiohttp session is bound to
    the loop it was created in; if a later call runs in a different loop (a
    second ``asyncio.run``), a fresh session is built for it.
    """

    def __init__(self, *, target: str, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lean: LeanHTTPClient | None = None
        self._lean_urls: dict[str, bool] = {}

    def _lean_client(self, url: str) -> LeanHTTPClient | None:
        """The lean client when ``url`` is plain http and no proxy is configured."""
        use = self._lean_urls.get(url)
        if use is None:
            use = is_lean_url(url) and not any(os.environ.get(v) for v in PROXY_ENV_VARS)
            if len(self._lean_urls) < 1024:
                self._lean_urls[url] = use
        if not use:
            return None
        lean = self._lean
        if lean is None or lean.closed or lean.loop is not asyncio.get_running_loop():
            lean = self._lean = LeanHTTPClient(timeout=self.timeout)
        return lean

    def _current(self) -> aiohttp.ClientSession:
        # Imported on first use: plain-http scans (the lean client) never need
        # aiohttp, and importing it costs a quarter of a second at start-up.
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # The engine bounds concurrency itself; a connector limit here
            # would only add a second, invisible queue.
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": "redline"},
            )
            self._loop = loop
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Send one request; return status, headers and the raw body.

        Connection failures and timeouts raise the TargetError family; HTTP
        error statuses are returned for the adapter to map.
        """
        lean = self._lean_client(url)
        if lean is not None:
            try:
                return await lean.request(method, url, body=body, headers=headers)
            except CannotConnectError as exc:
                raise TargetUnreachableError(
                    f"{self.target}: cannot connect to {url}: {exc.os_error}"
                ) from None
            except (TimeoutError, OSError) as exc:
                raise error_for_exception(
                    target=self.target, url=url, exc=exc, timeout=self.timeout
                ) from None
        session = self._current()
        import aiohttp  # loaded by _current; named here for its exception types

        try:
            async with session.request(method, url, data=body, headers=headers) as response:
                raw = await response.read()
                return response.status, response.headers, raw
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise error_for_exception(
                target=self.target, url=url, exc=exc, timeout=self.timeout
            ) from None

    async def send_ok(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        headers: Mapping[str, str],
        auth_hint: str,
        secrets: Iterable[str] = (),
        messages: Sequence[Message] = (),
    ) -> bytes:
        """:meth:`send`, with a non-2xx status raised as the TargetError family.

        ``auth_hint`` says where credentials came from, for a 401/403 message;
        ``secrets`` are redacted from any error text. ``messages`` (the conversation
        sent) lets a 4xx that rejects images be reported as ``unsupported``.
        """
        status, headers_in, raw = await self.send(method, url, body=body, headers=headers)
        if status >= 300:
            error = error_for_status(
                target=self.target,
                status=status,
                body=raw.decode("utf-8", "replace"),
                headers=headers_in,
                auth_hint=auth_hint,
                secrets=secrets,
            )
            if isinstance(error, TargetRequestError):
                error = unsupported_if_images_rejected(error, target=self.target, messages=messages)
            raise error
        return raw

    async def aclose(self) -> None:
        lean, self._lean = self._lean, None
        if lean is not None and lean.loop is asyncio.get_running_loop():
            await lean.aclose()
        session, loop = self._session, self._loop
        self._session = None
        self._loop = None
        # A session made in an event loop that has finished cannot be closed
        # from this one; it went away with its loop.
        if session is not None and not session.closed and loop is asyncio.get_running_loop():
            await session.close()
