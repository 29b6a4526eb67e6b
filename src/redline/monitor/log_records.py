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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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


def timestamp_micros(raw: Any, *, field: str) -> int:
    """:func:`parse_timestamp` as microseconds since the Unix epoch (UTC). Whole
    epoch seconds, the common case, skip the datetime (the same value)."""
    if type(raw) is int and -_EPOCH_MS < raw < _EPOCH_MS:
        return raw * 1_000_000
    return (parse_timestamp(raw, field=field) - _EPOCH) // _MICROSECOND


def datetime_micros(value: datetime) -> int:
    """A datetime as microseconds since the epoch; a naive one is taken as UTC (as
    the store always has)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND


def micros_datetime(micros: int) -> datetime:
    """Microseconds since the epoch -> an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=micros)


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


@dataclass
class RecordBatch:
    """Log records column by column: what ingest scores and stores (no object per
    record). ``micros`` are UTC microseconds since the epoch."""

    keys: list[str] = field(default_factory=list)
    micros: list[int] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str, micros: int, prompt: str, response: str, model: str, line: int) -> None:
        """Append a record; one whose key is already here replaces it (the later
        line wins, as re-reading the file would)."""
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = len(self.keys)
            self.keys.append(key)
            self.micros.append(micros)
            self.prompts.append(prompt)
            self.responses.append(response)
            self.models.append(model)
            self.lines.append(line)
            return
        self.micros[row], self.prompts[row], self.responses[row] = micros, prompt, response
        self.models[row], self.lines[row] = model, line

    def add_record(self, record: LogRecord) -> None:
        micros = datetime_micros(record.timestamp)
        self.add(record.key, micros, record.prompt, record.response, record.model, record.line)

    @classmethod
    def of_records(cls, records: Sequence[LogRecord]) -> RecordBatch:
        """The records as columns, every one kept (no de-duplication by key)."""
        return cls(
            keys=[r.key for r in records],
            micros=[datetime_micros(r.timestamp) for r in records],
            prompts=[r.prompt for r in records],
            responses=[r.response for r in records],
            models=[r.model for r in records],
            lines=[r.line for r in records],
        )

    def records(self) -> list[LogRecord]:
        return [
            LogRecord(key=k, timestamp=micros_datetime(t), prompt=p, response=r, model=m, line=n)
            for k, t, p, r, m, n in zip(
                self.keys, self.micros, self.prompts, self.responses, self.models, self.lines,
                strict=True,
            )
        ]  # fmt: skip


class ChatReader:
    """Reads chat records (see the module docstring) into a :class:`RecordBatch`.

    The field map's columns are resolved once; without dotted columns a field is
    one ``dict.get``, which is most of what a line costs besides parsing it.
    """

    def __init__(self, fields: FieldMap) -> None:
        self.fields = fields
        self.columns = {name: fields.column(name) for name in LOG_FIELDS}
        self._plain = not any("." in column for column in self.columns.values())

    def add(self, data: Mapping[str, Any], *, line: int, batch: RecordBatch) -> None:
        """Append ``data`` to ``batch``; raises :class:`MalformedRecord`."""
        columns = self.columns
        if self._plain:
            get = data.get
            raw_time, messages = get(columns["timestamp"]), get(columns["messages"])
            raw_prompt, raw_response = get(columns["prompt"]), get(columns["response"])
            given, model = get(columns["id"]), get(columns["model"])
        else:
            fields = self.fields
            raw_time, messages = fields.get(data, "timestamp"), fields.get(data, "messages")
            raw_prompt, raw_response = fields.get(data, "prompt"), fields.get(data, "response")
            given, model = fields.get(data, "id"), fields.get(data, "model")
        micros = timestamp_micros(raw_time, field=columns["timestamp"])
        if messages is not None:
            prompt = user_text(messages, field=columns["messages"])
        else:
            prompt = raw_prompt if type(raw_prompt) is str else message_text(raw_prompt)
        response = raw_response if type(raw_response) is str else message_text(raw_response)
        if not prompt and not response:
            raise MalformedRecord(
                f"no text: expected {columns['messages']!r} or {columns['prompt']!r}, "
                f"or {columns['response']!r}"
            )
        if type(given) is str and given and not given[0].isspace() and not given[-1].isspace():
            key = "id:" + given  # record_key's answer, without its checks
        else:
            key = record_key(given, micros_datetime(micros), prompt, response)
        batch.add(key, micros, prompt, response, model if type(model) is str else "", line)


def chat_record(data: Mapping[str, Any], *, line: int, fields: FieldMap) -> LogRecord:
    """One chat record (see the module docstring); raises :class:`MalformedRecord`."""
    batch = RecordBatch()
    ChatReader(fields).add(data, line=line, batch=batch)
    return batch.records()[0]


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
