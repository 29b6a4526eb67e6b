"""How HTTP failures become the TargetError family, shared by every HTTP adapter."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from redline.core import (
    TargetAuthError,
    TargetError,
    TargetRequestError,
    TargetTimeoutError,
    TargetTransientError,
    TargetUnreachableError,
)

# Servers sometimes echo request headers or keys back in error bodies; we
# never show more than this much of a body, and always after redaction.
BODY_EXCERPT_CHARS = 200


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def key_hint(key_source: str | None, default_env: str) -> str:
    """What to tell the user when an API rejects the credentials."""
    if key_source:
        return f"the key in ${key_source} was rejected"
    return f"no API key was sent (set ${default_env} or name a variable with --api-key-env)"


def error_for_status(
    *,
    target: str,
    status: int,
    body: str,
    headers: Mapping[str, str],
    auth_hint: str,
    secrets: Iterable[str] = (),
) -> TargetError:
    """The TargetError for a non-2xx response.

    ``auth_hint`` says where the credentials came from (an env var name, a
    config file) so an auth failure says what to fix without showing the key.
    """
    excerpt = redact(" ".join(body.split())[:BODY_EXCERPT_CHARS], secrets)
    detail = f": {excerpt}" if excerpt else ""
    if status in (401, 403):
        return TargetAuthError(f"{target}: HTTP {status}, {auth_hint}{detail}", status=status)
    if status == 429 or status >= 500:
        return TargetTransientError(
            f"{target}: HTTP {status}{detail}",
            status=status,
            retry_after=parse_retry_after(headers),
        )
    return TargetRequestError(f"{target}: HTTP {status}{detail}", status=status)


def error_for_exception(
    *, target: str, url: str, exc: BaseException, timeout: float
) -> TargetError:
    """The TargetError for a failed connection, a timeout or a dropped response."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return TargetTimeoutError(f"{target}: no response from {url} within {timeout:g}s")
    # aiohttp is imported only by targets that use it (https, proxies): when it
    # was never imported, no exception can be one of its own.
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientConnectorError):
        # refused, unroutable, DNS failure
        return TargetUnreachableError(f"{target}: cannot connect to {url}: {exc.os_error}")
    if isinstance(exc, OSError) or (aiohttp is not None and isinstance(exc, aiohttp.ClientError)):
        reason = str(exc) or type(exc).__name__
        return TargetTransientError(f"{target}: connection to {url} failed: {reason}")
    return TargetError(f"{target}: request to {url} failed: {type(exc).__name__}: {exc}")
