"""OpenAI-compatible proxy: ``POST /v1/chat/completions`` checked on the way in,
forwarded to any OpenAI-compatible upstream, and checked on the way out —
streams in windows as chunks arrive. Violations come back as an ordinary
completion whose content is the policy's refusal message and whose
``finish_reason`` is ``content_filter``."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from redline.core import Message
from redline.guard.images import stricter
from redline.guard.normalisation import clean_json, one_line_json
from redline.guard.pipeline import INPUT_ROLES, redaction_spans, redaction_text
from redline.guard.policy import ACTION_RANK
from redline.guard.redaction import apply_redactions
from redline.guard.server import (
    GuardService,
    RequestProblem,
    parse_messages,
    read_json,
)
from redline.guard.verdict import Verdict

ROUTE = "/v1/chat/completions"
# Characters held back from the client at each window check, so a secret or an
# address split across two windows is seen whole before any of it is sent.
HOLDBACK_CHARS = 64


def refusal_completion(model: str, message: str) -> dict[str, Any]:
    """A chat.completion that refuses, in the shape every OpenAI client reads."""
    return {
        "id": f"chatcmpl-guard-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": message},
                "finish_reason": "content_filter",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else one_line_json(payload)
    return f"data: {data}\n\n".encode()


def _chunk(template: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> bytes:
    return _sse(
        {
            "id": template.get("id", f"chatcmpl-guard-{uuid.uuid4().hex[:24]}"),
            "object": "chat.completion.chunk",
            "created": template.get("created", int(time.time())),
            "model": template.get("model", "guard"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


async def _refusal_stream(model: str, message: str) -> AsyncIterator[bytes]:
    template = {"model": model}
    yield _chunk(template, {"role": "assistant", "content": ""})
    yield _chunk(template, {"content": message})
    yield _chunk(template, {}, "content_filter")
    yield _sse("[DONE]")


def _strongest(*verdicts: Verdict | None) -> str:
    actions = [v.action for v in verdicts if v is not None] or ["allow"]
    return max(actions, key=ACTION_RANK.__getitem__)


class ChatProxy:
    """Holds the upstream HTTP session; :meth:`handle` is the FastAPI route."""

    def __init__(
        self,
        service: GuardService,
        *,
        upstream: str,
        upstream_api_key: str | None,
        timeout: float,
        window: int,
    ) -> None:
        self.service = service
        self.guard = service.guard
        self.url = upstream.rstrip("/") + "/chat/completions"
        self.upstream_api_key = upstream_api_key
        self.timeout = timeout
        self.window = max(window, 1)
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout)
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def _stop_chunk(self, template: dict[str, Any]) -> bytes:
        # A stream stopped mid-way ends on the policy's refusal, marked content_filter.
        return _chunk(
            template, {"content": "\n\n" + self.guard.policy.refusal_message}, "content_filter"
        )

    def _headers(self, request: Request) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.upstream_api_key:
            headers["Authorization"] = f"Bearer {self.upstream_api_key}"
        elif self.service.api_key is None and request.headers.get("authorization"):
            headers["Authorization"] = request.headers["authorization"]
        return headers

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        self.service.authorise(request)
        payload = await read_json(request, self.service.max_body_bytes)
        messages = parse_messages(payload, max_image_bytes=self.service.images.max_bytes)
        model = str(payload.get("model") or "guard")
        stream = bool(payload.get("stream"))
        refusal = self.guard.policy.refusal_message
        text_in = "\n\n".join(m.content for m in messages if m.role in INPUT_ROLES)

        verdict_in = await self.guard.acheck_input(messages)
        images = await self.service.check_images(messages)
        verdict_in = stricter(verdict_in, images.verdict if images else None)
        if verdict_in.blocked:
            self.service.record(
                ROUTE, "block", started, text=text_in, verdict=verdict_in, side="input"
            )
            headers = {"x-redline-input-action": "block"}
            if stream:
                return StreamingResponse(
                    _refusal_stream(model, refusal), media_type="text/event-stream", headers=headers
                )
            return JSONResponse(refusal_completion(model, refusal), headers=headers)
        if verdict_in.action == "redact" and verdict_in.redacted_messages is not None:
            _rewrite_messages(payload, verdict_in.redacted_messages)

        upstream = await self._send(payload, request)
        if upstream.status != 200:
            body = await upstream.read()
            upstream.release()
            self.service.record(
                ROUTE,
                f"upstream_{upstream.status}",
                started,
                text=text_in,
                verdict=verdict_in,
                status=upstream.status,
            )
            return Response(body, status_code=upstream.status, media_type="application/json")
        if stream:
            return StreamingResponse(
                self._relay_stream(upstream, messages, verdict_in, started, text_in),
                media_type="text/event-stream",
                headers={"x-redline-input-action": verdict_in.action},
            )
        return await self._complete(upstream, messages, verdict_in, started, text_in)

    async def _send(self, payload: dict[str, Any], request: Request) -> aiohttp.ClientResponse:
        assert self.session is not None
        try:
            return await self.session.post(self.url, json=payload, headers=self._headers(request))
        except TimeoutError:
            raise RequestProblem(
                504,
                f"upstream {self.url} did not answer within {self.timeout:g}s",
                kind="upstream_timeout",
            ) from None
        except aiohttp.ClientError as exc:
            raise RequestProblem(
                502, f"upstream {self.url} unreachable: {exc}", kind="upstream_error"
            ) from None

    async def _complete(
        self,
        upstream: aiohttp.ClientResponse,
        messages: list[Message],
        verdict_in: Verdict,
        started: float,
        text_in: str,
    ) -> Response:
        try:
            body = await upstream.read()
        except TimeoutError:
            raise RequestProblem(
                504, f"upstream {self.url} timed out mid-answer", kind="upstream_timeout"
            ) from None
        except aiohttp.ClientError as exc:
            raise RequestProblem(
                502, f"upstream {self.url} failed mid-answer: {exc}", kind="upstream_error"
            ) from None
        finally:
            upstream.release()
        try:
            # The upstream's text is cleaned like the client's: what we relay must encode.
            data = clean_json(json.loads(body))
            choices = data["choices"]
            replies = [choice["message"] for choice in choices]
            if not replies or not all(isinstance(r, dict) for r in replies):
                raise TypeError("no choices")
        except (ValueError, KeyError, IndexError, TypeError):
            raise RequestProblem(
                502,
                "upstream answered with something that is not a chat completion",
                kind="upstream_error",
            ) from None
        # Every choice is checked (a request with n > 1 gets several), as one batch.
        verdicts = await self.guard.acheck_outputs(
            messages, [reply.get("content") or "" for reply in replies]
        )
        for choice, reply, verdict in zip(choices, replies, verdicts, strict=True):
            if verdict.blocked:
                reply["content"] = self.guard.policy.refusal_message
                reply.pop("tool_calls", None)
                choice["finish_reason"] = "content_filter"
            elif verdict.action == "redact" and verdict.redacted_text is not None:
                reply["content"] = verdict.redacted_text
        verdict_out = verdicts[0]
        for verdict in verdicts[1:]:
            verdict_out = stricter(verdict_out, verdict)
        action = _strongest(verdict_in, verdict_out)
        self.service.record(
            ROUTE,
            action,
            started,
            text=text_in,
            verdict=verdict_out,
            input_action=verdict_in.action,
        )
        return JSONResponse(
            data,
            headers={
                "x-redline-input-action": verdict_in.action,
                "x-redline-output-action": verdict_out.action,
            },
        )

    async def _relay_stream(
        self,
        upstream: aiohttp.ClientResponse,
        messages: list[Message],
        verdict_in: Verdict,
        started: float,
        text_in: str,
    ) -> AsyncIterator[bytes]:
        template: dict[str, Any] = {}
        full = ""
        emitted = 0
        finish: str | None = None
        verdict_out: Verdict | None = None
        outcome = "completed"
        try:
            async for raw in upstream.content:
                line = raw.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    break
                try:
                    chunk = clean_json(json.loads(data))
                except ValueError:
                    continue
                if not isinstance(chunk, dict):
                    continue
                template = chunk
                for choice in chunk.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if delta.get("role") and emitted == 0 and not full:
                        yield _chunk(template, {"role": delta["role"], "content": ""})
                    full += delta.get("content") or ""
                    finish = choice.get("finish_reason") or finish
                if len(full) - emitted >= self.window + HOLDBACK_CHARS:
                    verdict_out = await self.guard.acheck_output(messages, full)
                    if verdict_out.blocked:
                        outcome = "stopped"
                        yield self._stop_chunk(template)
                        yield _sse("[DONE]")
                        return
                    piece, emitted = _release(
                        full, emitted, len(full) - HOLDBACK_CHARS, verdict_out
                    )
                    if piece:
                        yield _chunk(template, {"content": piece})
            verdict_out = await self.guard.acheck_output(messages, full)
            if verdict_out.blocked:
                outcome = "stopped"
                yield self._stop_chunk(template)
            else:
                piece, emitted = _release(full, emitted, len(full), verdict_out)
                if piece:
                    yield _chunk(template, {"content": piece})
                yield _chunk(template, {}, finish or "stop")
            yield _sse("[DONE]")
        except (TimeoutError, aiohttp.ClientError) as exc:
            outcome = "upstream_failed"
            # Headers are sent: the only way left to say so is an error event.
            yield _sse(
                {
                    "error": {
                        "message": f"upstream failed mid-stream: {exc or 'timeout'}",
                        "type": "upstream_error",
                    }
                }
            )
        except (asyncio.CancelledError, GeneratorExit):
            outcome = "client_disconnected"
            raise
        finally:
            upstream.close()
            action = _strongest(verdict_in, verdict_out)
            label = action if outcome in ("completed", "stopped") else outcome
            self.service.record(
                ROUTE,
                label,
                started,
                text=text_in,
                verdict=verdict_out,
                input_action=verdict_in.action,
                stream=outcome,
            )


def _release(full: str, emitted: int, upto: int, verdict: Verdict) -> tuple[str, int]:
    """The text from ``emitted`` to ``upto`` to send now, redacted if the verdict
    says so; a redaction span crossing ``upto`` is sent whole (replaced)."""
    if upto <= emitted:
        return "", emitted
    if verdict.action != "redact":
        return full[emitted:upto], upto
    spans = redaction_spans(verdict)
    for span in spans:
        if span.start < upto < span.end:
            upto = span.end
    return apply_redactions(
        full[emitted:upto], spans, replacement=redaction_text, offset=emitted
    ), upto


def _rewrite_messages(payload: dict[str, Any], redacted: list[Message]) -> None:
    for original, clean in zip(payload["messages"], redacted, strict=False):
        if isinstance(original, dict) and original.get("role") in INPUT_ROLES:
            content = original.get("content")
            if isinstance(content, list):  # keep the image parts, replace the text
                others = [
                    p for p in content if not (isinstance(p, dict) and p.get("type") == "text")
                ]
                original["content"] = [{"type": "text", "text": clean.content}, *others]
            else:
                original["content"] = clean.content
