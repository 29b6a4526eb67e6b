"""The texts of a file for ``guard scan``: JSONL or CSV rows with ``text``, or
``prompt``/``response`` (which one depends on the side checked).

Like every input file redline reads, a file with a bad row is rejected whole
with FILE:LINE for each problem (:mod:`redline.data.bad_lines`). Files can be
large, so rows are streamed: :func:`check_rows` validates and counts in one
pass, :func:`read_rows` yields the rows in a second.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from redline.core import ConfigError, Message
from redline.data.bad_lines import BadLines
from redline.guard.normalisation import clean_json
from redline.guard.pipeline import Guard
from redline.guard.verdict import Verdict

Side = Literal["input", "output"]
# Rows checked per guard batch by `guard scan`: big enough that the classifiers'
# per-call costs are shared out, small enough that memory stays flat.
SCAN_BATCH = 64


@dataclass(frozen=True)
class GuardRow:
    """One text to check, where it came from, and the prompt it answered (output side)."""

    line: int
    id: str
    text: str
    prompt: str | None


def _row(number: int, row: dict[str, Any], side: Side) -> GuardRow | str:
    """The row's text, or what is wrong with it."""
    row_id = str(row.get("id") or number)
    # Only an output-side check looks at the prompt the text answered.
    prompt = row.get("prompt") if side == "output" and isinstance(row.get("prompt"), str) else None
    if isinstance(row.get("text"), str):
        return GuardRow(number, row_id, row["text"], prompt)
    field = "prompt" if side == "input" else "response"
    if isinstance(row.get(field), str):
        return GuardRow(number, row_id, row[field], prompt)
    return f"missing field 'text' or '{field}' (a string)"


def _parsed(path: Path, side: Side) -> Iterator[tuple[int, GuardRow | str]]:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, _row(number, row, side)
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                # Cleaned like every text the guard takes in: a "\ud800" escape in an id or
                # a text must not break the verdict file.
                row = clean_json(json.loads(raw.decode("utf-8")))
            except UnicodeDecodeError as exc:
                yield number, f"not UTF-8 (byte {exc.start})"
                continue
            except json.JSONDecodeError as exc:
                yield number, f"not JSON: {exc.msg}"
                continue
            yield number, _row(number, row, side) if isinstance(row, dict) else "not a JSON object"


def check_rows(path: Path, side: Side) -> int:
    """The number of rows; raises ConfigError listing the bad ones (FILE:LINE)."""
    bad = BadLines(path)
    count = 0
    for number, row in _parsed(path, side):
        if isinstance(row, str):
            bad.add(number, row)
        count += 1
    bad.raise_if_any()
    return count


def read_rows(path: Path, side: Side) -> Iterator[GuardRow]:
    """The rows of a file :func:`check_rows` accepted."""
    for _, row in _parsed(path, side):
        if isinstance(row, GuardRow):
            yield row


def check_row_batch(guard: Guard, rows: Sequence[GuardRow], side: Side) -> list[Verdict]:
    """The guard's verdict on each row, scored as one batch; output-side rows carry
    the prompt they answered."""
    if side == "input":
        return guard.check_inputs([row.text for row in rows])
    return guard.check_outputs(
        [
            ([Message(role="user", content=row.prompt)] if row.prompt is not None else [], row.text)
            for row in rows
        ]
    )


def batched(rows: Iterable[GuardRow], size: int = SCAN_BATCH) -> Iterator[list[GuardRow]]:
    """``rows`` in lists of ``size`` (the last may be shorter)."""
    batch: list[GuardRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def verdict_record(row: GuardRow, verdict: Verdict) -> dict[str, Any]:
    """One line of ``guard scan`` output."""
    record: dict[str, Any] = {
        "id": row.id,
        "line": row.line,
        "action": verdict.action,
        "scores": verdict.scores,
        "reasons": verdict.reasons,
        "latency_ms": verdict.latency_ms,
    }
    if verdict.redacted_text is not None:
        record["redacted_text"] = verdict.redacted_text
    return record
