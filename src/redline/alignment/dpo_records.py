"""Preference and SL records on disk, in TRL's conversational formats.

A preference record is ``{"prompt": [messages], "chosen": [assistant message],
"rejected": [assistant message], "meta": {...}}``; an SL record (supervised
fine-tuning data, e.g. SL-CAI) is ``{"prompt": [...], "completion": [...],
"meta": {...}}``. ``meta`` holds redline's provenance (behaviour, principle,
soft label) and is ignored by trainers.

Reading checks every line first and reports all bad ones as ``FILE:LINE:
problem`` (missing fields, wrong roles, identical chosen and rejected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from redline.core import ConfigError, Message
from redline.data.bad_lines import BadLines, decode_lines, jsonl_objects, read_file_bytes


class PreferenceRecord(BaseModel):
    """One preference pair: for ``prompt``, ``chosen`` is preferred to ``rejected``."""

    model_config = ConfigDict(extra="forbid")

    prompt: list[Message] = Field(min_length=1)
    chosen: list[Message] = Field(min_length=1)
    rejected: list[Message] = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)


class CompletionRecord(BaseModel):
    """One supervised example: ``completion`` is the answer to train towards."""

    model_config = ConfigDict(extra="forbid")

    prompt: list[Message] = Field(min_length=1)
    completion: list[Message] = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)


def assistant_turn(text: str) -> list[Message]:
    """A completion as TRL's conversational format wants it: one assistant message."""
    return [Message(role="assistant", content=text)]


def _wire(record: BaseModel) -> str:
    data = record.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, ensure_ascii=False, sort_keys=False)


def write_records(path: Path, records: Iterable[BaseModel]) -> int:
    """Write records as JSONL (replacing the file); returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(_wire(record) + "\n")
            count += 1
    return count


def _problem(record: PreferenceRecord) -> str | None:
    if record.prompt[-1].role != "user":
        return "prompt: the last message must be the user's"
    for side in ("chosen", "rejected"):
        messages: list[Message] = getattr(record, side)
        if any(m.role != "assistant" for m in messages):
            return f"{side}: only assistant messages belong here"
        if not "".join(m.content for m in messages).strip():
            return f"{side}: empty answer"
    if [m.content for m in record.chosen] == [m.content for m in record.rejected]:
        return "chosen and rejected are identical (nothing to learn from)"
    return None


def read_preferences(path: Path) -> list[PreferenceRecord]:
    """Read a preference JSONL file; every bad line is reported as ``FILE:LINE: problem``."""
    bad = BadLines(path)
    records: list[PreferenceRecord] = []
    for line, value in jsonl_objects(decode_lines(read_file_bytes(path), bad), bad):
        try:
            record = PreferenceRecord.model_validate(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "record"
            bad.add(line, f"{field}: {error['msg']}")
            continue
        problem = _problem(record)
        if problem is not None:
            bad.add(line, problem)
            continue
        records.append(record)
    bad.raise_if_any()
    if not records:
        raise ConfigError(f"{path}: no preference records")
    return records
