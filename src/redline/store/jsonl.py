"""Append-only JSON Lines files that survive a ``kill -9`` mid-write."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from redline.core import ConfigError
from redline.core.fast_json import loads as fast_loads

_CHUNK = 64 * 1024


def truncate_torn_tail(path: Path) -> int:
    """Cut ``path`` back to its last complete line; returns the bytes removed.

    A writer killed mid-line leaves a final line with no newline. Appending
    after it would glue the next record onto the fragment and corrupt both.
    """
    if not path.exists():
        return 0
    with path.open("r+b") as f:
        size = f.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            f.seek(start)
            chunk = f.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            f.truncate(keep)
        return size - keep


class JsonlAppender:
    """Appends one record per line and flushes it, opening the file lazily.

    Flushing hands each line to the OS, so a killed process loses at most the
    line it was writing; there is no fsync per line, which would cap a run at
    a few hundred records a second.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def _open(self) -> IO[str]:
        truncate_torn_tail(self.path)
        self._file = self.path.open("a", encoding="utf-8")
        return self._file

    def write_line(self, line: str, *, flush: bool = True) -> None:
        """Append ``line``; with ``flush=False`` it waits in the buffer until
        :meth:`flush` (the caller then decides when records count as written)."""
        f = self._file or self._open()
        f.write(line + "\n")
        if flush:
            f.flush()

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for each line of ``path``.

    A final line that is not valid JSON is a torn write and is skipped; an
    invalid line anywhere else is corruption and raises :class:`ConfigError`
    naming the file and line.
    """
    for number, _, value in iter_jsonl_raw(path):
        yield number, value


def iter_jsonl_raw(path: Path) -> Iterator[tuple[int, bytes, Any]]:
    """:func:`iter_jsonl` that also yields each line's bytes (compact to keep, and
    fast to validate again with pydantic's ``model_validate_json``)."""
    for number, _, raw, value in iter_jsonl_located(path):
        yield number, raw, value


def iter_jsonl_located(path: Path) -> Iterator[tuple[int, int, bytes, Any]]:
    """:func:`iter_jsonl_raw` that also yields each line's byte offset, so a reader
    can remember where a record is (two ints) instead of holding the record."""
    if not path.exists():
        return
    bad: tuple[int, ValueError] | None = None
    offset = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            if bad is not None:
                line, exc = bad
                raise ConfigError(f"{path}:{line}: not valid JSON ({exc})") from exc
            try:
                value = _loads(raw)
            except ValueError as exc:
                # Only an error if another record follows it: see the docstring.
                bad = (number, exc)
                continue
            yield number, start, raw, value


def _loads(raw: bytes) -> Any:
    # orjson parses run files several times faster than json (finishing a 10,000-attempt
    # run reads two files); a line only json reads (NaN, Infinity) is read by json.
    return fast_loads(raw)
