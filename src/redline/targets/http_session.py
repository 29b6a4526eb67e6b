"""One aiohttp session per target, created lazily inside the running event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
from multidict import CIMultiDictProxy

from redline.targets.http_errors import error_for_exception


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

    def _current(self) -> aiohttp.ClientSession:
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
        session = self._current()
        try:
            async with session.request(method, url, data=body, headers=headers) as response:
                raw = await response.read()
                return response.status, response.headers, raw
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise error_for_exception(
                target=self.target, url=url, exc=exc, timeout=self.timeout
            ) from None

    async def aclose(self) -> None:
        session, loop = self._session, self._loop
        self._session = None
        self._loop = None
        # A session made in an event loop that has finished cannot be closed
        # from this one; it went away with its loop.
        if session is not None and not session.closed and loop is asyncio.get_running_loop():
            await session.close()
