"""The guard service and proxy over real sockets with any text: never a 500, never a
scanner left out, and the proxy never blocks its own redaction."""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.guard import Guard
from redline.guard.audit import AuditLog
from redline.guard.server import create_app

from .conftest import ANY_TEXT, running_service

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def default_guard():
    guard = Guard.default()
    assert not guard.skipped, guard.skipped  # the classifiers are what used to fail
    return guard


def _post(client: httpx.Client, url: str, payload: dict) -> httpx.Response:
    # json.dumps escapes a lone surrogate as "\ud83d": valid JSON that any client can send.
    return client.post(url, content=json.dumps(payload).encode("ascii"))


def _audit_records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lone_surrogate_with_audit_log_is_checked_not_a_500(default_guard, tmp_path):
    # Before: a plain-text 500 with a traceback from audit.py.
    audit = tmp_path / "audit.jsonl"
    app = create_app(default_guard, audit_log=AuditLog(audit))
    with running_service(app) as base, httpx.Client(base_url=base) as client:
        response = _post(client, "/v1/guard/input", {"text": "hello \ud83d world"})
        assert response.status_code == 200, response.text
        verdict = response.json()
        assert verdict["action"] == "allow" and verdict["errors"] == {}
    (record,) = _audit_records(audit)
    assert record["text"] == "hello \ufffd world" and record["errors"] == {}


def test_service_checks_any_text_with_every_scanner(default_guard, tmp_path):
    audit = tmp_path / "audit.jsonl"
    app = create_app(default_guard, audit_log=AuditLog(audit))
    with running_service(app) as base, httpx.Client(base_url=base, timeout=30) as client:

        @SETTINGS
        @given(text=ANY_TEXT)
        def check(text):
            requests = [
                ("/v1/guard/input", {"text": text}),
                ("/v1/guard/input", {"messages": [{"role": "user", "content": text}]}),
                (
                    "/v1/guard/output",
                    {"response": text, "messages": [{"role": "user", "content": text}]},
                ),
            ]
            for route, payload in requests:
                response = _post(client, route, payload)
                assert response.status_code == 200, response.text
                verdict = response.json()
                assert verdict["errors"] == {}
                assert set(default_guard.scanner_names(verdict["side"])) <= set(verdict["scores"])

        check()

        @SETTINGS
        @given(body=st.binary(max_size=200))
        def garbage(body):
            response = client.post("/v1/guard/input", content=body)
            assert response.status_code in (400, 422), response.text
            assert response.json()["error"]["message"]

        garbage()
    assert all(record["errors"] == {} for record in _audit_records(audit))


def test_proxy_relays_any_text_both_ways(default_guard, upstream, tmp_path):
    base_url, state = upstream
    audit = tmp_path / "audit.jsonl"
    app = create_app(default_guard, upstream=base_url, audit_log=AuditLog(audit), stream_window=16)
    with running_service(app) as base, httpx.Client(base_url=base, timeout=30) as client:

        @SETTINGS
        @given(prompt=ANY_TEXT, reply=ANY_TEXT, stream=st.booleans())
        def relay(prompt, reply, stream):
            # The upstream answers with JSON that may hold lone surrogates too.
            state["reply"] = reply
            payload = {
                "model": "m",
                "stream": stream,
                "messages": [{"role": "user", "content": prompt}],
            }
            response = _post(client, "/v1/chat/completions", payload)
            assert response.status_code == 200, response.text
            if stream:
                events = [
                    line[5:].strip()
                    for line in response.text.split("\n")
                    if line.startswith("data:")
                ]
                assert events[-1] == "[DONE]"
                assert all("error" not in json.loads(e) for e in events[:-1])
            else:
                assert response.json()["choices"][0]["message"]["role"] == "assistant"

        relay()
    records = _audit_records(audit)
    assert records and all(record["errors"] == {} for record in records)


def test_proxy_does_not_block_its_own_redaction(default_guard, start_stub):
    # The stub echoes "Sure: " and the first words of the (redacted) prompt. Before, the
    # reply's [CREDIT_CARD] [EMAIL] [PHONE] scored as harm and the proxy blocked it.
    stub = start_stub()
    app = create_app(default_guard, upstream=stub.base_url)
    prompt = "card 4111 1111 1111 1111 mail ann@example.org phone +1 415 555 0100"
    echoed = "Sure: card [CREDIT_CARD] mail [EMAIL] phone [PHONE]"
    with running_service(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        payload = {"model": "m", "messages": [{"role": "user", "content": prompt}]}
        response = client.post("/v1/chat/completions", json=payload)
        assert response.headers["x-redline-input-action"] == "redact"
        assert response.headers["x-redline-output-action"] == "allow"
        choice = response.json()["choices"][0]
        assert choice["message"]["content"] == echoed
        assert choice["finish_reason"] == "stop"

        streamed = client.post("/v1/chat/completions", json={**payload, "stream": True})
        chunks = [
            json.loads(line[5:])
            for line in streamed.text.splitlines()
            if line.startswith("data:") and line[5:].strip() != "[DONE]"
        ]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        assert text == echoed
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
