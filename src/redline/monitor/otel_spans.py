"""OpenTelemetry GenAI spans exported as JSON -> :class:`LogRecord`.

Two layouts are read, one JSON document a line:

- OTLP/JSON (what the collector's file exporter writes): ``resourceSpans`` ->
  ``scopeSpans`` -> ``spans``, attributes as ``[{"key", "value": {"stringValue": ...}}]``,
  times as ``startTimeUnixNano``.
- One span as the SDK's console exporter prints it: ``attributes`` as a plain
  mapping, ``start_time`` as ISO-8601, ``context.span_id``.

The GenAI semantic conventions have carried the prompt and completion in three ways over
their versions, and all are read: the ``gen_ai.input.messages`` /
``gen_ai.output.messages`` attributes (JSON messages with ``parts``); the events
``gen_ai.user.message`` / ``gen_ai.choice`` (and ``gen_ai.assistant.message``); and
the older events ``gen_ai.content.prompt`` / ``gen_ai.content.completion`` with the
``gen_ai.prompt`` / ``gen_ai.completion`` attributes. Spans with no ``gen_ai.*``
attribute (HTTP, database spans of the same trace) are not model calls and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from redline.monitor.log_records import (
    LogRecord,
    MalformedRecord,
    message_text,
    parse_timestamp,
    record_key,
)

_OTLP_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue")


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    for kind in _OTLP_VALUE_KINDS:
        if kind in value:
            return int(value[kind]) if kind == "intValue" else value[kind]
    if "arrayValue" in value:
        return [_otlp_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    return None


def attributes(raw: Any) -> dict[str, Any]:
    """Span or event attributes as a plain mapping, from either layout."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, list):
        return {
            item["key"]: _otlp_value(item.get("value"))
            for item in raw
            if isinstance(item, Mapping) and "key" in item
        }
    return {}


def spans_of(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The spans of one exported document (an OTLP export, or a single span)."""
    resource_spans = document.get("resourceSpans", document.get("resource_spans"))
    if resource_spans is None:
        yield document
        return
    for resource in resource_spans or []:
        for scope in resource.get("scopeSpans", resource.get("scope_spans", [])) or []:
            yield from scope.get("spans", []) or []


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _messages_text(raw: Any, *, roles: tuple[str, ...]) -> str:
    """Text of semconv messages (``parts`` or ``content``) whose role is in ``roles``."""
    value = _maybe_json(raw)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        return ""
    texts = []
    for message in value:
        if not isinstance(message, Mapping):
            continue
        if message.get("role", roles[0]) not in roles:
            continue
        body = message.get("parts", message.get("content", message.get("message")))
        if isinstance(body, Mapping):
            body = body.get("content", body.get("parts"))
        texts.append(message_text(body))
    return "\n".join(t for t in texts if t)


def _event_texts(events: Any) -> tuple[str, str]:
    prompts: list[str] = []
    completions: list[str] = []
    for event in events or []:
        if not isinstance(event, Mapping):
            continue
        name = event.get("name", "")
        attrs = attributes(event.get("attributes"))
        if name == "gen_ai.content.prompt":
            prompts.append(_messages_text(attrs.get("gen_ai.prompt"), roles=("user", "tool")))
        elif name == "gen_ai.content.completion":
            completions.append(_messages_text(attrs.get("gen_ai.completion"), roles=("assistant",)))
        elif name in ("gen_ai.user.message", "gen_ai.tool.message"):
            prompts.append(message_text(_maybe_json(attrs.get("content"))))
        elif name in ("gen_ai.choice", "gen_ai.assistant.message"):
            body = _maybe_json(attrs.get("message", attrs.get("content")))
            if isinstance(body, Mapping):
                body = body.get("content")
            completions.append(message_text(body))
    return "\n".join(t for t in prompts if t), "\n".join(t for t in completions if t)


def _indexed_attribute_texts(attrs: Mapping[str, Any], prefix: str, roles: tuple[str, ...]) -> str:
    """``gen_ai.prompt.0.content`` style attributes (written by several instrumentations)."""
    texts = []
    index = 0
    while f"{prefix}.{index}.content" in attrs:
        role = attrs.get(f"{prefix}.{index}.role", roles[0])
        if role in roles:
            texts.append(message_text(attrs[f"{prefix}.{index}.content"]))
        index += 1
    return "\n".join(t for t in texts if t)


def _span_time(span: Mapping[str, Any]) -> Any:
    for name in ("startTimeUnixNano", "start_time_unix_nano", "start_time", "startTime"):
        if span.get(name) not in (None, ""):
            return span[name]
    return None


def _span_id(span: Mapping[str, Any]) -> str | None:
    context = span.get("context")
    if isinstance(context, Mapping):
        trace, span_id = context.get("trace_id"), context.get("span_id")
    else:
        trace, span_id = span.get("traceId"), span.get("spanId", span.get("span_id"))
    if not span_id:
        return None
    return f"{trace or ''}/{span_id}"


def span_record(span: Mapping[str, Any], *, line: int) -> LogRecord | None:
    """The model call a span describes, or None for a span that is not a GenAI call."""
    attrs = attributes(span.get("attributes"))
    if not any(str(k).startswith("gen_ai.") for k in attrs):
        return None
    timestamp = parse_timestamp(_span_time(span), field="startTimeUnixNano")
    prompt = _messages_text(attrs.get("gen_ai.input.messages"), roles=("user", "tool"))
    response = _messages_text(attrs.get("gen_ai.output.messages"), roles=("assistant",))
    event_prompt, event_completion = _event_texts(span.get("events"))
    prompt = prompt or event_prompt or _indexed_attribute_texts(attrs, "gen_ai.prompt", ("user",))
    response = (
        response
        or event_completion
        or _indexed_attribute_texts(attrs, "gen_ai.completion", ("assistant",))
    )
    if not prompt and not response:
        raise MalformedRecord(
            "gen_ai span without prompt or completion content (attributes "
            "gen_ai.input.messages / gen_ai.output.messages, or gen_ai.* events)"
        )
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or ""
    return LogRecord(
        key=record_key(_span_id(span), timestamp, prompt, response),
        timestamp=timestamp,
        prompt=prompt,
        response=response,
        model=str(model),
        line=line,
    )


def otel_records(document: Mapping[str, Any], *, line: int) -> tuple[list[LogRecord], int]:
    """The GenAI records of one exported line, and how many spans were not GenAI calls."""
    records = []
    skipped = 0
    for span in spans_of(document):
        if not isinstance(span, Mapping):
            raise MalformedRecord("a span is not a JSON object")
        record = span_record(span, line=line)
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return records, skipped
