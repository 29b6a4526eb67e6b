"""Collecting the bad lines of an input file so the user sees them all at once.

The policy for every file redline reads prompts from: validate the whole file
first; if any line is bad, raise one ConfigError that lists the first ten as
``FILE:LINE: what is wrong`` and counts the rest, and run nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.core.errors import ConfigError

SHOWN_BAD_LINES = 10


@dataclass
class BadLines:
    """The problems found in one file, by line number (1-based)."""

    path: Path
    problems: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        """Raise one ConfigError listing the first problems; do nothing if there are none."""
        if not self.problems:
            return
        problems = sorted(self.problems, key=lambda p: p[0])
        count = len(problems)
        noun = "line" if count == 1 else "lines"
        lines = [f"{self.path}: {count} bad {noun}, nothing was run"]
        lines += [f"{self.path}:{line}: {message}" for line, message in problems[:SHOWN_BAD_LINES]]
        if count > SHOWN_BAD_LINES:
            lines.append(f"... and {count - SHOWN_BAD_LINES} more bad lines")
        raise ConfigError("\n".join(lines))


def read_file_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a missing, unreadable or empty file is a ConfigError naming it."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, expected a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ConfigError(f"{path}: file is empty")
    return data


def decode_lines(data: bytes, bad: BadLines) -> list[str]:
    """Split ``data`` into text lines (1-based line i is element i-1).

    A line that is not valid UTF-8 is recorded in ``bad`` with the byte offset
    (in the file) of the first bad byte, and replaced by an empty line so the
    line numbers of the rest stay right.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        # A UTF-8 byte-order mark, as spreadsheet programs write; not part of the text.
        offset = 3
        data = data[3:]
    else:
        offset = 0
    lines: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8").removesuffix("\r"))
        except UnicodeDecodeError as exc:
            bad.add(number, f"invalid UTF-8 at byte offset {offset + exc.start}")
            lines.append("")
        offset += len(raw) + 1
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def csv_records(
    lines: list[str], bad: BadLines
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the rows of a CSV file, each row with the line it starts on.

    Rows with the wrong number of fields are recorded in ``bad`` and left out;
    blank rows are skipped.
    """
    # The reader needs the line ends back to keep newlines inside quoted cells.
    reader = csv.reader(line + "\n" for line in lines)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return [], []
    rows: list[tuple[int, dict[str, str]]] = []
    previous_end = reader.line_num
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                bad.add(start, f"row has {len(record)} fields, the header has {len(header)}")
                continue
            rows.append((start, dict(zip(header, record, strict=True))))
    except csv.Error as exc:
        bad.add(reader.line_num, f"unreadable CSV: {exc}")
    return header, rows


def jsonl_objects(lines: list[str], bad: BadLines) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of JSONL ``lines`` with their line numbers; blank lines are
    skipped, and lines that are not a JSON object are recorded in ``bad``."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            bad.add(number, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(value, dict):
            bad.add(number, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield number, value
