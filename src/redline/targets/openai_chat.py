"""OpenAITarget: any server speaking the OpenAI chat-completions API.

OpenAI itself, vLLM, Ollama, the llama.cpp server, TGI, LiteLLM... The JSON is
built and parsed by hand: at engine concurrency the SDK's model layer costs
more than the network.
"""

from __future__ import annotations

import json
import os
from typing import Any

from redline.core import (
    Completion,
    ConfigError,
    GenerationParams,
    Message,
    TargetResponseError,
    TokenLogprob,
    ToolCall,
    Usage,
)
from redline.core.fast_json import dumps_bytes, loads
from redline.targets.api_keys import resolve_api_key
from redline.targets.base import TARGETS
from redline.targets.http_errors import key_hint, redact
from redline.targets.http_session import TargetSession
from redline.targets.image_inputs import openai_content
from redline.targets.spec import TargetSpec

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_KEY_ENV = "OPENAI_API_KEY"


def openai_message(message: Message) -> dict[str, Any]:
    """A redline Message in the OpenAI wire format (tool calls included)."""
    out: dict[str, Any] = {"role": message.role, "content": openai_content(message)}
    if message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
        if not message.content:
            out["content"] = None
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def parse_tool_calls(raw: Any) -> list[ToolCall] | None:
    if not raw:
        return None
    calls = []
    for index, item in enumerate(raw):
        function = item.get("function") or {}
        arguments = function.get("arguments", "{}")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            ToolCall(
                id=str(item.get("id") or f"call_{index}"),
                name=str(function.get("name", "")),
                arguments=arguments,
            )
        )
    return calls


def parse_logprobs(raw: Any) -> list[TokenLogprob] | None:
    """``choices[0].logprobs.content`` (present when the request set ``logprobs``)."""
    content = raw.get("content") if isinstance(raw, dict) else None
    if not isinstance(content, list):
        return None
    tokens = []
    for item in content:
        if not isinstance(item, dict) or not isinstance(item.get("logprob"), int | float):
            continue
        top = {
            str(alt.get("token", "")): float(alt["logprob"])
            for alt in item.get("top_logprobs") or ()
            if isinstance(alt, dict) and isinstance(alt.get("logprob"), int | float)
        }
        tokens.append(
            TokenLogprob(
                token=str(item.get("token", "")), logprob=item["logprob"], top_logprobs=top
            )
        )
    return tokens


@TARGETS.register("openai")
class OpenAITarget:
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint.

    ``extra_body`` is merged into every request (``tools``, ``response_format``,
    vendor options). ``api_key_env`` only names where the key came from, for
    error messages; the key itself is never shown.
    """

    description = "any OpenAI-compatible API (OpenAI, vLLM, Ollama, llama.cpp server, TGI)"

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
        # As the OpenAI SDK does: OPENAI_BASE_URL names the default endpoint.
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip(
            "/"
        )
        self.url = f"{self.base_url}/chat/completions"
        self.name = name or f"openai:{model}"
        self.timeout = timeout
        self.extra_body = dict(extra_body or {})
        self._api_key = api_key
        self._key_source = api_key_env
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._session = TargetSession(target=self.name, timeout=timeout)

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> OpenAITarget:
        if not spec.model:
            raise ConfigError("target openai: --model is required (e.g. --model gpt-4o-mini)")
        key, source = resolve_api_key(
            named_env=spec.api_key_env, default_env=OPENAI_KEY_ENV, target=spec.display_name()
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
        return f"OpenAITarget(name={self.name!r}, url={self.url!r})"

    def request_body(self, messages: list[Message], params: GenerationParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [openai_message(m) for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
        }
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = params.stop
        if params.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": params.json_schema, "strict": True},
            }
        if params.tools:
            body["tools"] = [{"type": "function", "function": tool} for tool in params.tools]
        body.update(self.extra_body)
        return body

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        raw = await self._session.send_ok(
            "POST",
            self.url,
            body=dumps_bytes(self.request_body(messages, params)),
            headers=self._headers,
            auth_hint=key_hint(self._key_source, OPENAI_KEY_ENV),
            secrets=[self._api_key or ""],
            messages=messages,
        )
        return self.parse_response(raw)

    def parse_response(self, raw: bytes) -> Completion:
        try:
            data = loads(raw)
            choice = data["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            excerpt = redact(raw[:120].decode("utf-8", "replace"), [self._api_key or ""])
            raise TargetResponseError(
                f"{self.name}: response is not a chat completion (no choices[0].message): "
                f"{excerpt!r}"
            ) from None
        if not isinstance(message, dict):
            raise TargetResponseError(f"{self.name}: choices[0].message is not an object")
        usage = data.get("usage") or {}
        content = message.get("content") or ""
        if isinstance(content, list):  # content parts, as some servers return
            content = "".join(
                str(part.get("text", "")) for part in content if isinstance(part, dict)
            )
        return Completion(
            text=str(content),
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            ),
            model=data.get("model"),
            tool_calls=parse_tool_calls(message.get("tool_calls")),
            logprobs=parse_logprobs(choice.get("logprobs")),
        )

    async def aclose(self) -> None:
        await self._session.aclose()
