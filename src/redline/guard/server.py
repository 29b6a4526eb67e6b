"""The guard as an HTTP service (FastAPI): check endpoints, health, metrics,
API-key auth, request-size limits, an audit log, and optionally the
OpenAI-compatible proxy (see :mod:`redline.guard.proxy`)."""

from __future__ import annotations

import hmac
import json
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError

from redline.core import ConfigError, ImagePart, Message, parse_data_url
from redline.guard.audit import AuditLog
from redline.guard.images import (
    DEFAULT_MAX_BYTES,
    ImageCheck,
    ImageScanner,
    acheck_message_images,
    stricter,
)
from redline.guard.metrics import GuardMetrics
from redline.guard.normalisation import clean_json
from redline.guard.pipeline import Guard

DEFAULT_MAX_BODY_BYTES = 1_000_000


class RequestProblem(Exception):
    """A request we answer with an error status and a one-line message."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


def error_body(message: str, kind: str) -> dict[str, Any]:
    # The OpenAI error shape, so the same clients can read errors from every route.
    return {"error": {"message": message, "type": kind}}


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object with every string cleaned
    (:func:`~redline.guard.normalisation.clean_text`), refusing more than ``limit``
    bytes (413) and bodies that are not UTF-8 JSON (400)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestProblem(413, f"request body is {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise RequestProblem(413, f"request body exceeds the limit of {limit} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestProblem(400, f"request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestProblem(
            400, f"request body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(payload, dict):
        raise RequestProblem(400, "request body must be a JSON object")
    # JSON may spell a lone surrogate ("\\ud83d"); cleaned here, it can reach no scanner,
    # log, upstream or response that would fail to encode it.
    cleaned: dict[str, Any] = clean_json(payload)
    return cleaned


def _image_url(part: dict[str, Any], *, where: str) -> str:
    """The data URL of one image part, in the OpenAI or the Anthropic shape."""
    if part.get("type") == "image_url":  # OpenAI: {"image_url": {"url": "data:..."}}
        url = part.get("image_url")
        url = url.get("url") if isinstance(url, dict) else url
        if not isinstance(url, str):
            raise RequestProblem(422, f"{where}.image_url.url must be a string")
        return url
    # Anthropic: {"type": "image", "source": {"type": "base64", "media_type", "data"}}
    source = part.get("source")
    if not isinstance(source, dict):
        raise RequestProblem(422, f"{where}.source must be an object")
    if source.get("type") != "base64":
        raise RequestProblem(
            400,
            f"{where}.source.type {source.get('type')!r}: only base64 images are checked; "
            "remote image URLs are not fetched",
        )
    media_type, data = source.get("media_type"), source.get("data")
    if not isinstance(media_type, str) or not isinstance(data, str):
        raise RequestProblem(422, f"{where}.source needs media_type and data strings")
    return f"data:{media_type};base64,{data}"


IMAGE_PART_TYPES = frozenset({"image_url", "image"})


def message_images(parts: list[Any], *, where: str, max_bytes: int) -> list[ImagePart]:
    """The image parts of one message's content, OpenAI ``image_url`` or Anthropic
    ``image`` blocks; 400 naming the bad one."""
    images = []
    for number, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") not in IMAGE_PART_TYPES:
            continue
        url = _image_url(part, where=f"{where}.content[{number}]")
        try:
            images.append(parse_data_url(url, max_bytes=max_bytes))
        except ConfigError as exc:
            raise RequestProblem(400, f"{where}.content[{number}]: {exc}") from None
    return images


def parse_messages(
    payload: dict[str, Any],
    field: str = "messages",
    *,
    max_image_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Message]:
    raw = payload.get(field)
    if not isinstance(raw, list):
        raise RequestProblem(422, f"field {field!r} is required and must be a list of messages")
    messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RequestProblem(422, f"{field}[{index}] must be an object")
        content = item.get("content")
        images = None
        if isinstance(content, list):  # content parts (OpenAI or Anthropic): text, images to OCR
            images = message_images(content, where=f"{field}[{index}]", max_bytes=max_image_bytes)
            content = "".join(
                p.get("text", "")
                for p in content
                if isinstance(p, dict) and p.get("type") == "text"
            )
        try:
            # Validated from the request's own values: a bad role is the client's error.
            fields = {"role": item.get("role"), "content": content or "", "name": item.get("name")}
            messages.append(Message.model_validate({**fields, "images": images or None}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RequestProblem(422, f"{field}[{index}].{where}: {first['msg']}") from None
    return messages


def _text_or_messages(payload: dict[str, Any], *, max_image_bytes: int) -> list[Message] | str:
    if "text" in payload:
        if not isinstance(payload["text"], str):
            raise RequestProblem(422, "field 'text' must be a string")
        return payload["text"]
    if "messages" in payload:
        return parse_messages(payload, max_image_bytes=max_image_bytes)
    raise RequestProblem(422, "give either 'text' (a string) or 'messages' (a list)")


class GuardService:
    """Shared state of one running service; the FastAPI routes are thin wrappers."""

    def __init__(
        self,
        guard: Guard,
        *,
        api_key: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        audit_log: AuditLog | None = None,
        image_scanner: ImageScanner | None = None,
    ) -> None:
        self.guard = guard
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self.audit = audit_log
        self.metrics = GuardMetrics()
        self.images = image_scanner or ImageScanner()

    async def check_images(self, messages: list[Message]) -> ImageCheck | None:
        """OCR + text scan of the input images; bad images are a 400 naming why."""
        try:
            return await acheck_message_images(self.guard, self.images, messages)
        except ConfigError as exc:
            raise RequestProblem(400, f"image: {exc}") from None

    def authorise(self, request: Request) -> None:
        if not self.api_key:
            return
        given = request.headers.get("x-api-key", "")
        if not given:
            auth = request.headers.get("authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise RequestProblem(401, "missing or wrong API key", kind="authentication_error")

    def record(
        self,
        route: str,
        action: str,
        started: float,
        *,
        text: str = "",
        verdict: Any = None,
        status: int = 200,
        **extra: Any,
    ) -> None:
        self.metrics.observe(route, action, time.perf_counter() - started)
        if self.audit is not None:
            self.audit.write(route=route, text=text, verdict=verdict, status=status, **extra)


def create_app(
    guard: Guard,
    *,
    api_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    audit_log: AuditLog | None = None,
    upstream: str | None = None,
    upstream_api_key: str | None = None,
    upstream_timeout: float = 60.0,
    stream_window: int = 200,
    image_scanner: ImageScanner | None = None,
) -> FastAPI:
    """The guard service. With ``upstream`` it also proxies
    ``POST /v1/chat/completions`` to that OpenAI-compatible base URL."""
    service = GuardService(
        guard,
        api_key=api_key,
        max_body_bytes=max_body_bytes,
        audit_log=audit_log,
        image_scanner=image_scanner,
    )
    proxy = None
    if upstream:
        from redline.guard.proxy import ChatProxy

        proxy = ChatProxy(
            service,
            upstream=upstream,
            upstream_api_key=upstream_api_key,
            timeout=upstream_timeout,
            window=stream_window,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if proxy is not None:
            await proxy.start()
        try:
            yield
        finally:
            if proxy is not None:
                await proxy.close()

    app = FastAPI(title="redline guard", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, exc: RequestProblem) -> JSONResponse:
        route = request.url.path
        service.record(route, f"error_{exc.status}", time.perf_counter(), status=exc.status)
        return JSONResponse(error_body(str(exc), exc.kind), status_code=exc.status)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "scanners": guard.scanner_names("input"), "skipped": guard.skipped}

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/v1/guard/input")
    async def check_input(request: Request) -> JSONResponse:
        started = time.perf_counter()
        service.authorise(request)
        payload = await read_json(request, service.max_body_bytes)
        subject = _text_or_messages(payload, max_image_bytes=service.images.max_bytes)
        verdict = await guard.acheck_input(subject)
        text = subject if isinstance(subject, str) else "\n\n".join(m.content for m in subject)
        images = None if isinstance(subject, str) else await service.check_images(subject)
        verdict = stricter(verdict, images.verdict if images else None)
        service.record("/v1/guard/input", verdict.action, started, text=text, verdict=verdict)
        body = verdict.model_dump(mode="json")
        if images is not None:
            body["images"] = [found.model_dump(mode="json") for found in images.images]
        return JSONResponse(body)

    @app.post("/v1/guard/output")
    async def check_output(request: Request) -> JSONResponse:
        started = time.perf_counter()
        service.authorise(request)
        payload = await read_json(request, service.max_body_bytes)
        if "response" in payload:
            response = payload["response"]
            context: list[Message] | str = (
                parse_messages(payload, max_image_bytes=service.images.max_bytes)
                if "messages" in payload
                else ""
            )
        elif "text" in payload:
            response, context = payload["text"], ""
        else:
            raise RequestProblem(422, "give 'response' (a string) and optionally 'messages'")
        if not isinstance(response, str):
            raise RequestProblem(422, "field 'response' must be a string")
        verdict = await guard.acheck_output(context, response)
        service.record("/v1/guard/output", verdict.action, started, text=response, verdict=verdict)
        return JSONResponse(verdict.model_dump(mode="json"))

    if proxy is not None:
        app.add_api_route("/v1/chat/completions", proxy.handle, methods=["POST"])

    return app
