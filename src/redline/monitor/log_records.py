"""One line of a traffic log to one :class:`LogRecord`: chat JSONL, or OpenTelemetry spans.

A chat record is a JSON object with these fields (``--field-map field=column``
renames them; a dotted column such as ``request.text`` reaches into nested objects):

- ``id``: the record's id (optional; without one the key is a hash of the content).
- ``timestamp``: ISO-8601, or epoch seconds / milliseconds / nanoseconds
  (``--time-field`` names another column).
- ``messages`` (a list of ``{"role", "content"}``) or ``prompt``; and ``response``.
- ``model`` (optional).

A line holding OpenTelemetry spans (an OTLP/JSON export with ``resourceSpans``, or one
span as the SDK's console exporter writes it) is read by :mod:`redline.monitor.otel_spans`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from redline.core import ConfigError, content_hash

LOG_FIELDS = ("id", "timestamp", "messages", "prompt", "response", "model")
LogFormat = Literal["auto", "chat", "otel"]
LOG_FORMATS: tuple[str, ...] = ("auto", "chat", "otel")

# Epoch numbers above these are milliseconds / microseconds / nanoseconds (year 2286+ in s).
_EPOCH_MS = 10**10
_EPOCH_US = 10**13
_EPOCH_NS = 10**16


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One model call from a traffic log: what the user sent and what came back."""

    key: str
    timestamp: datetime
    prompt: str
    response: str
    model: str
    line: int


class MalformedRecord(ValueError):
    """A log line that cannot become a record; the message says which field and why."""


@dataclass(frozen=True)
class FieldMap:
    """Which column of a chat record holds each field (see the module docstring)."""

    columns: Mapping[str, str]
    # Each field's column, resolved once: ``get`` runs six times per log line.
    _resolved: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        resolved = {name: self.columns.get(name, name) for name in LOG_FIELDS}
        object.__setattr__(self, "_resolved", resolved)

    @classmethod
    def parse(cls, items: list[str] | None, *, time_field: str | None = None) -> FieldMap:
        """``["prompt=request.text"]`` (and ``--time-field``) -> a FieldMap."""
        mapping: dict[str, str] = {}
        for item in items or []:
            name, sep, column = item.partition("=")
            name, column = name.strip(), column.strip()
            if not sep or not name or not column:
                raise ConfigError(
                    f"--field-map {item!r}: expected FIELD=COLUMN, e.g. --field-map prompt=input"
                )
            if name not in LOG_FIELDS:
                raise ConfigError(
                    f"--field-map {item!r}: unknown field {name!r}; fields: {', '.join(LOG_FIELDS)}"
                )
            mapping[name] = column
        if time_field:
            mapping["timestamp"] = time_field
        return cls(mapping)

    def column(self, name: str) -> str:
        return self._resolved.get(name) or self.columns.get(name, name)

    def get(self, record: Mapping[str, Any], name: str) -> Any:
        column = self._resolved.get(name) or self.columns.get(name, name)
        if column in record:
            return record[column]
        return lookup(record, column) if "." in column else None


def lookup(record: Mapping[str, Any], column: str) -> Any:
    """``record[column]``, or the dotted path ``a.b.c`` through nested objects."""
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def parse_timestamp(raw: Any, *, field: str) -> datetime:
    """ISO-8601 text or an epoch number (s, ms, us or ns) -> an aware UTC datetime."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise MalformedRecord(f"{field}: missing")
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw)
    if isinstance(raw, int | float):
        value = float(raw)
        for limit, scale in ((_EPOCH_NS, 1e9), (_EPOCH_US, 1e6), (_EPOCH_MS, 1e3)):
            if abs(value) >= limit:
                value /= scale
                break
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise MalformedRecord(f"{field}: {raw!r} is not a usable epoch time") from None
    if not isinstance(raw, str):
        raise MalformedRecord(f"{field}: expected a time, got {type(raw).__name__}")
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedRecord(f"{field}: {raw!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def message_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or OpenAI/OTel-style parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, Mapping):
                text = part.get("text", part.get("content"))
                if isinstance(text, str):
                    pieces.append(text)
        return "\n".join(pieces)
    if isinstance(content, int | float):
        return str(content)
    return ""


def user_text(messages: Any, *, field: str) -> str:
    """What the users wrote in a list of messages (the text the input guard reads)."""
    if not isinstance(messages, list):
        raise MalformedRecord(f"{field}: expected a list of {{role, content}} messages")
    texts = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise MalformedRecord(f"{field}[{index}]: expected an object with role and content")
        if message.get("role", "user") in ("user", "tool"):
            texts.append(message_text(message.get("content")))
    return "\n".join(t for t in texts if t)


def record_key(given: Any, timestamp: datetime, prompt: str, response: str) -> str:
    """The record's identity in the store: its own id, or a hash of what it holds.

    Re-ingesting a file gives every record the same key, so nothing is added twice.
    """
    if isinstance(given, str | int) and not isinstance(given, bool) and str(given).strip():
        return f"id:{str(given).strip()}"
    return "h:" + content_hash({"t": timestamp.isoformat(), "p": prompt, "r": response}, length=24)


def chat_record(data: Mapping[str, Any], *, line: int, fields: FieldMap) -> LogRecord:
    """One chat record (see the module docstring); raises :class:`MalformedRecord`."""
    timestamp = parse_timestamp(fields.get(data, "timestamp"), field=fields.column("timestamp"))
    messages = fields.get(data, "messages")
    if messages is not None:
        prompt = user_text(messages, field=fields.column("messages"))
    else:
        prompt = message_text(fields.get(data, "prompt"))
    response = message_text(fields.get(data, "response"))
    if not prompt and not response:
        raise MalformedRecord(
            f"no text: expected {fields.column('messages')!r} or {fields.column('prompt')!r}, "
            f"or {fields.column('response')!r}"
        )
    model = fields.get(data, "model")
    return LogRecord(
        key=record_key(fields.get(data, "id"), timestamp, prompt, response),
        timestamp=timestamp,
        prompt=prompt,
        response=response,
        model=model if isinstance(model, str) else "",
        line=line,
    )


def decode_json_line(raw: bytes) -> Any:
    """The JSON value of one log line; raises :class:`MalformedRecord` saying why not.

    orjson parses; a line it refuses is parsed again with the standard library,
    whose messages (and its leniency: NaN, Infinity) the problems table keeps.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRecord(f"invalid UTF-8 at byte {exc.start} of the line") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedRecord(f"invalid JSON: {exc.msg} (column {exc.colno})") from None


def looks_like_otel(data: Mapping[str, Any]) -> bool:
    """An OTLP/JSON export, or one span as an SDK exporter prints it."""
    if "resourceSpans" in data or "resource_spans" in data:
        return True
    return "attributes" in data and any(k in data for k in ("context", "spanId", "span_id"))
