"""Abuse reports: the documented schema, and reading JSONL/CSV files of them.

A report file is JSON Lines (one object a line) or CSV (a header row). Each
record has these fields; ``--map field=column`` renames them, and a dotted
column (``payload.text``) reaches into nested JSON objects:

- ``id``: the report id (required).
- ``timestamp``: when it was reported, ISO-8601 (required).
- ``conversation``: a list of ``{"role", "content"}`` messages (in CSV, that
  list as JSON text), or ``prompt`` (and optionally ``response``) instead.
- ``policy``: the policy violated, a name from :mod:`redline.regress.policies`
  (required).
- ``severity``: ``low``, ``medium``, ``high`` or ``critical`` (default medium).
- ``notes``: free text from the reviewer (optional).

Bad records are never dropped silently: each becomes a :class:`ReportProblem`
with the line it starts on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from redline.core import ConfigError, Message
from redline.regress.policies import PolicyBook
from redline.regress.text_encoding import DecodedText, decode_report_bytes

REPORT_FIELDS = (
    "id",
    "timestamp",
    "conversation",
    "prompt",
    "response",
    "policy",
    "severity",
    "notes",
)
SEVERITIES = ("low", "medium", "high", "critical")
Severity = Literal["low", "medium", "high", "critical"]

# Larger conversations are rejected (and listed) rather than replayed: a regression
# case has to be something a person can read and a target can take.
DEFAULT_MAX_CHARS = 100_000
DEFAULT_MAX_TURNS = 100


class AbuseReport(BaseModel):
    """One validated abuse report. ``line`` is where it starts in its file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    timestamp: str
    messages: list[Message]
    response: str | None = None
    policy: str
    severity: Severity = "medium"
    notes: str = ""
    line: int


@dataclass(frozen=True, slots=True)
class ReportProblem:
    """Why one record of a report file was not used."""

    line: int
    field: str | None
    message: str
    report_id: str | None = None

    def describe(self, source: str) -> str:
        where = f"{source}:{self.line}"
        what = f" report {self.report_id!r}" if self.report_id else ""
        field_part = f" {self.field}:" if self.field else ""
        return f"{where}:{what}{field_part} {self.message}"


@dataclass(slots=True)
class ReportBatch:
    """What a report file held: the good reports, the bad records, the encoding used."""

    source: str
    reports: list[AbuseReport] = field(default_factory=list)
    problems: list[ReportProblem] = field(default_factory=list)
    records: int = 0
    encoding: str = "utf-8"
    encoding_note: str | None = None


def parse_field_map(items: list[str] | None) -> dict[str, str]:
    """``["id=ticket", "policy=violation"]`` -> ``{"id": "ticket", "policy": "violation"}``."""
    mapping: dict[str, str] = {}
    for item in items or []:
        name, sep, column = item.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ConfigError(f"--map {item!r}: expected FIELD=COLUMN, e.g. --map id=ticket_id")
        if name not in REPORT_FIELDS:
            raise ConfigError(
                f"--map {item!r}: unknown report field {name!r}; fields: {', '.join(REPORT_FIELDS)}"
            )
        mapping[name] = column
    return mapping


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class _Invalid(Exception):
    def __init__(self, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def _conversation(raw: Any, *, from_csv: bool) -> list[Message]:
    if isinstance(raw, str) and from_csv:
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _Invalid("conversation", f"not a JSON list of messages ({exc.msg})") from None
    if not isinstance(raw, list) or not raw:
        raise _Invalid("conversation", "expected a non-empty list of {role, content} messages")
    messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _Invalid(f"conversation[{index}]", "expected an object with role and content")
        try:
            messages.append(
                Message(role=item.get("role"), content=_text(item.get("content")) or "")
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            loc = ".".join(str(p) for p in problem["loc"])
            raise _Invalid(f"conversation[{index}].{loc}", problem["msg"]) from None
    if not any(m.role == "user" and m.content for m in messages):
        raise _Invalid("conversation", "has no user message with content")
    return messages


def _timestamp(raw: Any) -> str:
    text = _text(raw)
    if text is None:
        raise _Invalid("timestamp", "missing")
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("timestamp", f"{text!r} is not an ISO-8601 date or time") from None
    return text


def _severity(raw: Any) -> Severity:
    text = _text(raw)
    if text is None:
        return "medium"
    value = text.lower()
    if value not in SEVERITIES:
        raise _Invalid("severity", f"{text!r} is not one of {', '.join(SEVERITIES)}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ReportLimits:
    """Bounds on one report: characters over all messages, and number of messages."""

    max_chars: int = DEFAULT_MAX_CHARS
    max_turns: int = DEFAULT_MAX_TURNS


def _check_size(messages: list[Message], response: str | None, limits: ReportLimits) -> None:
    chars = sum(len(m.content) for m in messages) + len(response or "")
    if chars > limits.max_chars:
        raise _Invalid(
            "conversation",
            f"{chars:,} characters is over the limit of {limits.max_chars:,} "
            "(raise it with --max-chars, or cut the conversation)",
        )
    if len(messages) > limits.max_turns:
        raise _Invalid(
            "conversation",
            f"{len(messages)} messages is over the limit of {limits.max_turns} (--max-turns)",
        )


def build_report(
    record: Mapping[str, Any],
    *,
    line: int,
    field_map: Mapping[str, str],
    policies: PolicyBook,
    limits: ReportLimits,
    from_csv: bool,
) -> AbuseReport:
    """Validate one raw record; raises ``_Invalid`` naming the field at fault."""

    def get(name: str) -> Any:
        return _lookup(record, field_map.get(name, name))

    report_id = _text(get("id"))
    if report_id is None:
        raise _Invalid(field_map.get("id", "id"), "missing report id")
    timestamp = _timestamp(get("timestamp"))
    raw_conversation = get("conversation")
    response = _text(get("response"))
    if raw_conversation not in (None, ""):
        messages = _conversation(raw_conversation, from_csv=from_csv)
    else:
        prompt = _text(get("prompt"))
        if prompt is None:
            raise _Invalid("conversation", "missing: give a conversation or a prompt")
        messages = [Message(role="user", content=prompt)]
    if response is None and messages[-1].role == "assistant":
        response = messages[-1].content or None
    policy_raw = _text(get("policy"))
    if policy_raw is None:
        raise _Invalid(field_map.get("policy", "policy"), "missing policy")
    policy = policies.resolve(policy_raw)
    if policy is None:
        raise _Invalid(field_map.get("policy", "policy"), policies.unknown_message(policy_raw))
    _check_size(messages, response, limits)
    return AbuseReport(
        id=report_id,
        timestamp=timestamp,
        messages=messages,
        response=response,
        policy=policy,
        severity=_severity(get("severity")),
        notes=_text(get("notes")) or "",
        line=line,
    )


def _jsonl_records(text: str) -> Iterator[tuple[int, Any | _Invalid]]:
    for number, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            yield number, json.loads(raw_line)
        except json.JSONDecodeError as exc:
            yield number, _Invalid(None, f"not valid JSON ({exc.msg} at column {exc.colno})")


def _csv_records(text: str) -> Iterator[tuple[int, Any | _Invalid]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    start = 2  # the header is line 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if None in row:
                yield line, _Invalid(None, f"{len(row[None])} more cells than the header has")
                continue
            if not any((value or "").strip() for value in row.values()):
                continue
            yield line, row
    except csv.Error as exc:
        yield start, _Invalid(None, f"unreadable CSV: {exc}")


def detect_format(path: Path) -> Literal["jsonl", "csv"]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ConfigError(f"{path}: unknown report file type {suffix!r}; use .jsonl or .csv")


def read_reports(
    path: Path,
    *,
    field_map: Mapping[str, str] | None = None,
    policies: PolicyBook | None = None,
    limits: ReportLimits | None = None,
    encoding: str = "auto",
) -> ReportBatch:
    """Read and validate a JSONL or CSV report file.

    Good records become :class:`AbuseReport`; every bad one is a
    :class:`ReportProblem` with its line. ``encoding="auto"`` decodes UTF-8 (with
    or without BOM) and UTF-16/32 with a BOM; any other bytes are decoded as
    Windows-1252 and the batch's ``encoding_note`` says so and where the first
    non-UTF-8 byte is. A named encoding is used as given; bytes it cannot decode
    are a ConfigError naming the line.
    """
    fmt = detect_format(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: report file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    decoded: DecodedText = decode_report_bytes(data, source=str(path), encoding=encoding)
    policies = policies or PolicyBook.default()
    limits = limits or ReportLimits()
    mapping = dict(field_map or {})
    batch = ReportBatch(source=str(path), encoding=decoded.encoding, encoding_note=decoded.note)
    records = _jsonl_records(decoded.text) if fmt == "jsonl" else _csv_records(decoded.text)
    seen: dict[str, int] = {}
    for line, record in records:
        batch.records += 1
        if isinstance(record, _Invalid):
            batch.problems.append(ReportProblem(line, record.field, record.message))
            continue
        if not isinstance(record, dict):
            batch.problems.append(
                ReportProblem(line, None, f"expected a JSON object, got {type(record).__name__}")
            )
            continue
        raw_id = _text(_lookup(record, mapping.get("id", "id")))
        try:
            report = build_report(
                record,
                line=line,
                field_map=mapping,
                policies=policies,
                limits=limits,
                from_csv=fmt == "csv",
            )
        except _Invalid as exc:
            batch.problems.append(ReportProblem(line, exc.field, exc.message, raw_id))
            continue
        if report.id in seen:
            batch.problems.append(
                ReportProblem(
                    line, "id", f"duplicate report id (first on line {seen[report.id]})", report.id
                )
            )
            continue
        seen[report.id] = line
        batch.reports.append(report)
    return batch
