"""A response cache on disk, so re-running a campaign costs nothing and gives the same answers."""

from __future__ import annotations

import hashlib
import inspect
import sqlite3
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, TypeAdapter

from redline.core import Completion, GenerationParams, Message, content_hash
from redline.targets.base import Target
from redline.targets.spec import TargetSpec

_MESSAGES = TypeAdapter(list[Message])


def _file_identity(path: Path | None, *, read: bool) -> str | None:
    """A file's content hash (small files), or its size and mtime (model weights)."""
    if path is None:
        return None
    try:
        if read:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        stat = path.stat()
    except OSError:
        return f"missing:{path}"
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _code_identity(target: Target) -> str | None:
    """The source hash of a python: target's function (its own module, not what it imports)."""
    inner: Any = target
    while hasattr(inner, "inner"):  # a system-prompt wrapper around the real target
        inner = inner.inner
    function = getattr(inner, "function", None)
    if function is None:
        return None
    try:
        source = Path(inspect.getfile(function))
    except TypeError:
        return None
    return _file_identity(source, read=True)


def _endpoint(target: Target) -> str | None:
    inner: Any = target
    while hasattr(inner, "inner"):
        inner = inner.inner
    url = getattr(inner, "base_url", None)
    return None if url is None else str(url)


def target_fingerprint(spec: TargetSpec, target: Target) -> str:
    """A hash of everything about a target that can change its answers.

    The kind, model, endpoint (the base URL the built target actually uses, so
    a default taken from the environment counts too), system prompt and
    options; the content of an http target's config file; the source of a
    python: target's module; a local model file's size and modification time
    (hashing gigabytes of weights per run would cost more than it saves). The
    API key's variable name is left out: which key pays does not change the
    answer.
    """
    payload = spec.model_dump(mode="json", exclude={"api_key_env"})
    payload["endpoint"] = _endpoint(target)
    payload["config_file"] = _file_identity(spec.config_file, read=True)
    payload["model_path"] = _file_identity(spec.model_path, read=False)
    payload["code"] = _code_identity(target)
    payload["name"] = target.name
    return content_hash(payload, length=32)


def cache_key(
    target_name: str,
    messages: list[Message],
    params: GenerationParams,
    epoch: int = 0,
    seed: int = 0,
) -> str:
    """The content hash a completion is cached under.

    ``target_name`` is the target's identity: the run loop passes
    :func:`target_fingerprint`, so another endpoint, config file or code never
    answers from this one's cache. ``epoch`` and ``seed`` are part of the key
    so repeated samples of the same prompt stay distinct answers rather than
    one answer replayed. Pydantic's JSON output has a fixed field order, so it
    hashes stably without the cost of a sorted ``json.dumps`` (this runs once
    per attempt).
    """
    digest = hashlib.sha256()
    digest.update(target_name.encode())
    digest.update(b"\0")
    digest.update(_MESSAGES.dump_json(messages, exclude_none=True))
    digest.update(b"\0")
    digest.update(params.identity_json().encode())
    digest.update(f"\0{epoch}\0{seed}".encode())
    return digest.hexdigest()[:32]


class CacheStats(BaseModel):
    """What ``redline cache stats`` reports."""

    path: Path
    entries: int
    bytes: int


class ResponseCache:
    """A sqlite (WAL) map from :func:`cache_key` to a successful :class:`Completion`.

    Another process writing the same cache file while this one is open is safe,
    but its new answers may not be seen until the cache is reopened.

    Writes are buffered and committed in batches (every ``flush_every`` puts or
    ``flush_interval_s`` seconds, and on :meth:`close`): a commit per answer
    would cost more than the answer at high request rates, and losing the last
    few cached answers in a crash only means asking again.
    """

    def __init__(
        self,
        path: Path,
        *,
        flush_every: int = 256,
        flush_interval_s: float = 1.0,
        max_keys_in_memory: int = 250_000,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The engine touches the cache from one event loop; check_same_thread is
        # off only so a cache built before asyncio.run() can be used inside it.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, completion TEXT NOT NULL)"
        )
        # A first run misses on every lookup; answering misses from a set of
        # known keys saves a sqlite round trip per attempt. Past the limit the
        # set would cost too much memory and every lookup goes to sqlite.
        self._known: set[str] | None = None
        (count,) = self._db.execute("SELECT count(*) FROM responses").fetchone()
        if count <= max_keys_in_memory:
            self._known = {key for (key,) in self._db.execute("SELECT key FROM responses")}
        self._pending: dict[str, str] = {}
        self._flush_every = flush_every
        self._flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()

    def get(self, key: str) -> Completion | None:
        """The cached completion for ``key``, or None."""
        text = self._pending.get(key)
        if text is None:
            if self._known is not None and key not in self._known:
                return None
            row = self._db.execute(
                "SELECT completion FROM responses WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            text = row[0]
        return Completion.model_validate_json(text)

    def put(self, key: str, completion: Completion) -> None:
        """Remember a successful completion (written at the next flush)."""
        self._pending[key] = completion.model_dump_json()
        if self._known is not None:
            self._known.add(key)
        if (
            len(self._pending) >= self._flush_every
            or time.monotonic() - self._last_flush >= self._flush_interval_s
        ):
            self.flush()

    def flush(self) -> None:
        """Commit buffered puts."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        rows = list(self._pending.items())
        self._pending.clear()
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", rows)
        self._db.execute("COMMIT")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def stats(self) -> CacheStats:
        """How many answers the cache holds and how large its file is."""
        size = sum(
            p.stat().st_size
            for p in (self.path, self.path.with_name(self.path.name + "-wal"))
            if p.exists()
        )
        return CacheStats(path=self.path, entries=len(self), bytes=size)

    def clear(self) -> int:
        """Forget every answer; returns how many there were."""
        self._pending.clear()
        count = len(self)
        self._db.execute("DELETE FROM responses")
        self._db.execute("VACUUM")
        if self._known is not None:
            self._known.clear()
        return count

    def __len__(self) -> int:
        self.flush()
        (count,) = self._db.execute("SELECT count(*) FROM responses").fetchone()
        return int(count)

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
