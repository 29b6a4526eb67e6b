"""AnthropicTarget: the Anthropic Messages API, with a hand-built JSON path."""

from __future__ import annotations

import json
from typing import Any

from redline.core import (
    Completion,
    ConfigError,
    GenerationParams,
    Message,
    TargetResponseError,
    ToolCall,
    Usage,
)
from redline.targets.api_keys import resolve_api_key
from redline.targets.base import TARGETS
from redline.targets.http_errors import key_hint, redact
from redline.targets.http_session import TargetSession
from redline.targets.image_inputs import anthropic_content
from redline.targets.spec import TargetSpec

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_KEY_ENV = "ANTHROPIC_API_KEY"
ANTHROPIC_VERSION = "2023-06-01"


def anthropic_messages(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """Split a conversation into Anthropic's ``system`` string and ``messages`` list."""
    system_parts: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            system_parts.append(message.content)
        elif message.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            }
            out.append({"role": "user", "content": [block]})
        elif message.role == "assistant" and message.tool_calls:
            blocks: list[dict[str, Any]] = []
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            for call in message.tool_calls:
                try:
                    arguments = json.loads(call.arguments or "{}")
                except ValueError:
                    arguments = {"raw": call.arguments}
                blocks.append(
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}
                )
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": message.role, "content": anthropic_content(message)})
    return ("\n\n".join(system_parts) if system_parts else None), out


@TARGETS.register("anthropic")
class AnthropicTarget:
    """A Claude model through ``POST {base_url}/v1/messages``.

    ``extra_body`` is merged into every request (``tools``, ``metadata``...).
    """

    description = "the Anthropic Messages API (key in $ANTHROPIC_API_KEY)"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        name: str | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or ANTHROPIC_BASE_URL).rstrip("/")
        self.url = f"{self.base_url}/v1/messages"
        self.name = name or f"anthropic:{model}"
        self.timeout = timeout
        self.extra_body = dict(extra_body or {})
        self._api_key = api_key
        self._key_source = api_key_env
        self._headers = {
            "Content-Type": "application/json",
            "anthropic-version": ANTHROPIC_VERSION,
        }
        if api_key:
            self._headers["x-api-key"] = api_key
        self._session = TargetSession(target=self.name, timeout=timeout)

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> AnthropicTarget:
        if not spec.model:
            raise ConfigError(
                "target anthropic: --model is required (e.g. --model claude-3-5-haiku-latest)"
            )
        # The public API always needs a key; a compatible proxy may not.
        key, source = resolve_api_key(
            named_env=spec.api_key_env,
            default_env=ANTHROPIC_KEY_ENV,
            target=spec.display_name(),
            required=spec.base_url is None,
        )
        return cls(
            model=spec.model,
            base_url=spec.base_url,
            api_key=key,
            api_key_env=source,
            timeout=timeout,
            name=spec.display_name(),
            extra_body=spec.options,
        )

    def __repr__(self) -> str:
        return f"AnthropicTarget(name={self.name!r}, url={self.url!r})"

    def request_body(self, messages: list[Message], params: GenerationParams) -> dict[str, Any]:
        system, wire_messages = anthropic_messages(messages)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": wire_messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if system is not None:
            body["system"] = system
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop_sequences"] = params.stop
        if params.tools:
            body["tools"] = [
                {
                    "name": tool["name"],
                    "description": tool.get("description", ""),
                    "input_schema": tool.get("parameters") or {"type": "object"},
                }
                for tool in params.tools
            ]
        body.update(self.extra_body)
        return body

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        raw = await self._session.send_ok(
            "POST",
            self.url,
            body=json.dumps(self.request_body(messages, params)).encode(),
            headers=self._headers,
            auth_hint=key_hint(self._key_source, ANTHROPIC_KEY_ENV),
            secrets=[self._api_key or ""],
            messages=messages,
        )
        return self.parse_response(raw)

    def parse_response(self, raw: bytes) -> Completion:
        try:
            data = json.loads(raw)
            blocks = data["content"]
            if not isinstance(blocks, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            excerpt = redact(raw[:120].decode("utf-8", "replace"), [self._api_key or ""])
            raise TargetResponseError(
                f"{self.name}: response is not an Anthropic message (no content list): {excerpt!r}"
            ) from None
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                calls.append(
                    ToolCall(
                        id=str(block.get("id", "")),
                        name=str(block.get("name", "")),
                        arguments=json.dumps(block.get("input") or {}),
                    )
                )
        usage = data.get("usage") or {}
        return Completion(
            text="".join(texts),
            finish_reason=data.get("stop_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("input_tokens") or 0),
                completion_tokens=int(usage.get("output_tokens") or 0),
            ),
            model=data.get("model"),
            tool_calls=calls or None,
        )

    async def aclose(self) -> None:
        await self._session.aclose()
