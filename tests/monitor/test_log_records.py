"""Chat records and OpenTelemetry GenAI spans to LogRecords."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from redline.core import ConfigError
from redline.monitor.log_records import (
    FieldMap,
    MalformedRecord,
    chat_record,
    looks_like_otel,
    parse_timestamp,
)
from redline.monitor.otel_spans import otel_records

NOON = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    ["2026-01-01T12:00:00Z", "2026-01-01T13:00:00+01:00", "2026-01-01 12:00:00", 1767268800,
     1767268800000, 1767268800000000000, "1767268800"],
)  # fmt: skip
def test_timestamps_in_every_common_form(raw):
    assert parse_timestamp(raw, field="ts") == NOON


@pytest.mark.parametrize("raw", [None, "", "yesterday", True, {"a": 1}])
def test_bad_timestamps_name_the_field(raw):
    with pytest.raises(MalformedRecord, match=r"^ts: "):
        parse_timestamp(raw, field="ts")


def test_chat_record_with_messages_keeps_what_the_users_wrote():
    record = chat_record(
        {
            "id": 7,
            "timestamp": "2026-01-01T12:00:00Z",
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": [{"type": "text", "text": "hello"}]},
                {"role": "assistant", "content": "hi"},
                {"role": "user", "content": "bye"},
            ],
            "response": "goodbye",
            "model": "m1",
        },
        line=3,
        fields=FieldMap({}),
    )
    assert (record.key, record.prompt, record.response, record.model, record.line) == (
        "id:7", "hello\nbye", "goodbye", "m1", 3,
    )  # fmt: skip


def test_field_map_and_time_field_reach_nested_columns():
    fields = FieldMap.parse(["prompt=request.text", "response=reply"], time_field="meta.at")
    record = chat_record(
        {"request": {"text": "q"}, "reply": "a", "meta": {"at": "2026-01-01T12:00:00Z"}},
        line=1,
        fields=fields,
    )
    assert (record.prompt, record.response, record.timestamp) == ("q", "a", NOON)
    assert record.key.startswith("h:")  # no id: a hash of the content


def test_same_content_gives_the_same_key():
    data = {"timestamp": "2026-01-01T12:00:00Z", "prompt": "q"}
    first = chat_record(data, line=1, fields=FieldMap({}))
    assert chat_record(dict(data), line=9, fields=FieldMap({})).key == first.key
    changed = chat_record({**data, "prompt": "other"}, line=1, fields=FieldMap({}))
    assert changed.key != first.key


@pytest.mark.parametrize("item", ["prompt", "prompt=", "=col", "nope=col"])
def test_bad_field_map_is_a_usage_error(item):
    with pytest.raises(ConfigError, match="--field-map"):
        FieldMap.parse([item])


def test_record_without_text_is_malformed():
    with pytest.raises(MalformedRecord, match="no text"):
        chat_record({"timestamp": 1767268800}, line=1, fields=FieldMap({}))


def _otlp(attributes, events=(), name="chat gpt-4o"):
    def value(v):
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": value("app")}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "t1", "spanId": "s1", "name": name,
                                "startTimeUnixNano": "1767268800000000000",
                                "attributes": [
                                    {"key": k, "value": value(v)} for k, v in attributes.items()
                                ],
                                "events": list(events),
                            },
                            {
                                "traceId": "t1", "spanId": "s2", "name": "GET /",
                                "startTimeUnixNano": "1767268800000000000",
                                "attributes": [{"key": "http.method", "value": value("GET")}],
                            },
                        ]
                    }
                ],
            }
        ]
    }  # fmt: skip


def test_otlp_span_with_input_and_output_message_attributes():
    document = _otlp(
        {
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "sys"}]},
                    {"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]},
                ]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "4"}]}]
            ),
            "gen_ai.usage.input_tokens": 12,
        }
    )
    assert looks_like_otel(document)
    records, skipped = otel_records(document, line=5)
    assert skipped == 1  # the HTTP span is not a model call
    (record,) = records
    assert (record.prompt, record.response, record.model, record.timestamp) == (
        "What is 2+2?", "4", "gpt-4o", NOON,
    )  # fmt: skip
    assert record.key == "id:t1/s1"


def _event(name, key, text):
    return {"name": name, "attributes": [{"key": key, "value": {"stringValue": text}}]}


def test_otlp_span_with_event_content():
    events = [
        _event("gen_ai.user.message", "content", "hi there"),
        _event("gen_ai.choice", "message", json.dumps({"content": "hello"})),
    ]
    records, _ = otel_records(_otlp({"gen_ai.system": "openai"}, events), line=1)
    assert (records[0].prompt, records[0].response) == ("hi there", "hello")


def test_console_exporter_span_with_legacy_prompt_events():
    span = {
        "name": "chat",
        "context": {"trace_id": "0xabc", "span_id": "0x1"},
        "start_time": "2026-01-01T12:00:00.000000Z",
        "attributes": {"gen_ai.request.model": "llama"},
        "events": [
            {
                "name": "gen_ai.content.prompt",
                "attributes": {
                    "gen_ai.prompt": json.dumps([{"role": "user", "content": "tell me"}])
                },
            },
            {
                "name": "gen_ai.content.completion",
                "attributes": {
                    "gen_ai.completion": json.dumps([{"role": "assistant", "content": "ok"}])
                },
            },
        ],
    }
    assert looks_like_otel(span)
    records, skipped = otel_records(span, line=1)
    assert (records[0].prompt, records[0].response, records[0].key, skipped) == (
        "tell me", "ok", "id:0xabc/0x1", 0,
    )  # fmt: skip


def test_indexed_prompt_attributes():
    span = {
        "context": {"span_id": "x"},
        "start_time": "2026-01-01T12:00:00Z",
        "attributes": {
            "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "sys",
            "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "question",
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "answer",
        },
    }  # fmt: skip
    records, _ = otel_records(span, line=1)
    assert (records[0].prompt, records[0].response) == ("question", "answer")


def test_gen_ai_span_without_content_is_malformed():
    with pytest.raises(MalformedRecord, match="without prompt or completion"):
        otel_records(_otlp({"gen_ai.request.model": "m"}), line=1)
