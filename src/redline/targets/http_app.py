"""HTTPTarget: an in-house application behind any JSON HTTP endpoint, described in YAML.

Example ``app.yaml``::

    url: https://chat.internal.example/api/reply
    method: POST
    headers:
      Authorization: Bearer ${APP_TOKEN}
    body:
      input: "{{prompt}}"
      history: "{{messages}}"
    response_path: data.reply
    timeout: 30
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import jmespath
import jmespath.exceptions
from pydantic import BaseModel, ConfigDict, Field, field_validator

from redline.core import (
    Completion,
    ConfigError,
    GenerationParams,
    ImagePart,
    Message,
    TargetResponseError,
    TargetUnsupportedError,
)
from redline.core.config_files import read_yaml
from redline.targets.base import TARGETS
from redline.targets.http_errors import redact
from redline.targets.http_session import TargetSession
from redline.targets.image_inputs import all_images
from redline.targets.spec import TargetSpec

PROMPT_SLOT = "{{prompt}}"
MESSAGES_SLOT = "{{messages}}"
# Images of the conversation: a list of data URLs, or a list of bare base64 strings.
IMAGE_URLS_SLOT = "{{image_urls}}"
IMAGES_BASE64_SLOT = "{{images_base64}}"
IMAGE_SLOTS = (IMAGE_URLS_SLOT, IMAGES_BASE64_SLOT)
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class HTTPTargetConfig(BaseModel):
    """The YAML description of an HTTP target (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    response_path: str | None = None
    timeout: float | None = Field(default=None, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("response_path")
    @classmethod
    def _valid_jmespath(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                jmespath.compile(value)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError(f"not a valid JMESPath expression ({exc})") from None
        return value


def load_http_config(
    path: Path, *, environ: Mapping[str, str] | None = None
) -> tuple[HTTPTargetConfig, list[str]]:
    """Read and validate an HTTP target file; substitute ``${VAR}`` in headers.

    Returns the config and the substituted values (secrets to redact).
    Errors are ConfigError naming the file, the line and the field.
    """
    env = os.environ if environ is None else environ
    document = read_yaml(path, what="target config")
    config = document.validate(
        HTTPTargetConfig, description="a mapping with at least `url`", max_errors=1
    )

    secrets: list[str] = []
    headers: dict[str, str] = {}
    for name, value in config.headers.items():

        def substitute(match: re.Match[str], header: str = name) -> str:
            var = match.group(1)
            if var not in env:
                raise document.error(("headers", header), f"environment variable ${var} is not set")
            secrets.append(env[var])
            return env[var]

        headers[name] = ENV_REFERENCE.sub(substitute, value)
    return config.model_copy(update={"headers": headers}), secrets


def fill_template(
    template: Any,
    *,
    prompt: str,
    messages: list[dict[str, str]],
    images: Sequence[ImagePart] = (),
) -> Any:
    """Put the conversation into a body template.

    A value that is exactly ``{{prompt}}`` or ``{{messages}}`` is replaced by
    the value itself, so JSON encoding escapes it; a longer string gets text
    substitution (``{{messages}}`` as JSON text). ``{{image_urls}}`` and
    ``{{images_base64}}`` (whole values only) become lists of the images.
    """
    if isinstance(template, str):
        if template == PROMPT_SLOT:
            return prompt
        if template == MESSAGES_SLOT:
            return messages
        if template == IMAGE_URLS_SLOT:
            return [image.data_url() for image in images]
        if template == IMAGES_BASE64_SLOT:
            return [image.base64() for image in images]
        if PROMPT_SLOT in template or MESSAGES_SLOT in template:
            return template.replace(PROMPT_SLOT, prompt).replace(
                MESSAGES_SLOT, json.dumps(messages, ensure_ascii=False)
            )
        return template
    if isinstance(template, dict):
        return {
            k: fill_template(v, prompt=prompt, messages=messages, images=images)
            for k, v in template.items()
        }
    if isinstance(template, list):
        return [fill_template(v, prompt=prompt, messages=messages, images=images) for v in template]
    return template


def _has_image_slot(template: Any) -> bool:
    if isinstance(template, str):
        return template in IMAGE_SLOTS
    if isinstance(template, dict):
        return any(_has_image_slot(v) for v in template.values())
    if isinstance(template, list):
        return any(_has_image_slot(v) for v in template)
    return False


def last_user_text(messages: list[Message]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""


@TARGETS.register("http")
class HTTPTarget:
    """An application reached with a templated JSON request (``--target-config FILE``)."""

    description = "an in-house HTTP app described by --target-config FILE.yaml"

    def __init__(
        self,
        *,
        config: HTTPTargetConfig,
        name: str = "http",
        timeout: float = 60.0,
        secrets: list[str] | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.name = name
        self.timeout = config.timeout or timeout
        self._secrets = list(secrets or [])
        self._headers = dict(config.headers)
        if config.body is not None and not any(k.lower() == "content-type" for k in self._headers):
            self._headers["Content-Type"] = "application/json"
        self._session = TargetSession(target=name, timeout=self.timeout)

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> HTTPTarget:
        if spec.config_file is None:
            raise ConfigError("target http: --target-config FILE.yaml is required")
        config, secrets = load_http_config(spec.config_file)
        return cls(
            config=config,
            name=spec.display_name(),
            timeout=timeout,
            secrets=secrets,
            config_path=spec.config_file,
        )

    def __repr__(self) -> str:
        return f"HTTPTarget(name={self.name!r}, url={self.config.url!r})"

    def request_body(self, messages: list[Message]) -> bytes | None:
        images = all_images(messages)
        if images and not _has_image_slot(self.config.body):
            where = self.config_path or "the target config"
            raise TargetUnsupportedError(
                f"{self.name}: the conversation has {len(images)} image(s) but the body in "
                f"{where} has no {IMAGE_URLS_SLOT} or {IMAGES_BASE64_SLOT} slot"
            )
        if self.config.body is None:
            return None
        filled = fill_template(
            self.config.body,
            prompt=last_user_text(messages),
            messages=[{"role": m.role, "content": m.content} for m in messages],
            images=images,
        )
        return json.dumps(filled, ensure_ascii=False).encode()

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        raw = await self._session.send_ok(
            self.config.method,
            self.config.url,
            body=self.request_body(messages),
            headers=self._headers,
            auth_hint=f"check the headers in {self.config_path or 'the target config'}",
            secrets=self._secrets,
        )
        text = raw.decode("utf-8", "replace")
        if self.config.response_path is None:
            return Completion(text=text)
        try:
            data = json.loads(text)
        except ValueError:
            excerpt = redact(text[:120], self._secrets)
            raise TargetResponseError(f"{self.name}: response is not JSON: {excerpt!r}") from None
        found = jmespath.search(self.config.response_path, data)
        if found is None:
            raise TargetResponseError(
                f"{self.name}: response_path {self.config.response_path!r} matched nothing"
            )
        if not isinstance(found, str):
            raise TargetResponseError(
                f"{self.name}: response_path {self.config.response_path!r} gave a "
                f"{type(found).__name__}, not text"
            )
        return Completion(text=found)

    async def aclose(self) -> None:
        await self._session.aclose()
