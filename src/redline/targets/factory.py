"""build_target: from a TargetSpec (what the user typed) to a live Target."""

from __future__ import annotations

from typing import Any

from redline.core import Completion, ConfigError, GenerationParams, Message
from redline.targets.base import TARGETS, Target
from redline.targets.python_callable import PythonTarget
from redline.targets.spec import PYTHON_PREFIX, TargetSpec


class SystemPromptTarget:
    """Puts a system prompt in front of conversations that do not bring their own."""

    def __init__(self, inner: Target, system_prompt: str) -> None:
        self.inner = inner
        self.system_prompt = system_prompt
        self.name = inner.name

    def __repr__(self) -> str:
        return f"SystemPromptTarget({self.inner!r})"

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        if not any(m.role == "system" for m in messages):
            messages = [Message(role="system", content=self.system_prompt), *messages]
        return await self.inner.generate(messages, params)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _plugin_options(spec: TargetSpec) -> dict[str, Any]:
    fields = {
        "model": spec.model,
        "base_url": spec.base_url,
        "api_key_env": spec.api_key_env,
        "model_path": spec.model_path,
        "config_file": spec.config_file,
    }
    return {k: v for k, v in fields.items() if v is not None} | spec.options


def build_target(spec: TargetSpec, *, timeout: float = 60.0) -> Target:
    """Build the target a spec describes.

    ``spec.kind`` is a registered name (``local``, ``openai``, ``anthropic``,
    ``http``, or a plugin from the ``redline.targets`` entry-point group) or
    ``python:module:function``. Built-ins are classes with a ``from_spec``
    class method; a plugin without one is called with keyword options
    (``model=``, ``base_url=``, ... and ``spec.options``). ``timeout`` is the
    per-request limit in seconds for network targets.

    Raises UnknownNameError (with the closest names) for an unknown kind and
    ConfigError for anything else the user must fix.
    """
    if spec.kind.startswith(PYTHON_PREFIX):
        target: Target = PythonTarget.from_spec(spec, timeout=timeout)
    else:
        factory = TARGETS.get(spec.kind)
        from_spec = getattr(factory, "from_spec", None)
        if from_spec is not None:
            target = from_spec(spec, timeout=timeout)
        else:
            try:
                target = factory(**_plugin_options(spec))
            except TypeError as exc:
                raise ConfigError(f"target {spec.kind}: bad options: {exc}") from None
        if not isinstance(target, Target):
            raise ConfigError(
                f"target {spec.kind}: the plugin returned {type(target).__name__}, "
                "which has no name/generate/aclose"
            )
    if spec.system_prompt:
        target = SystemPromptTarget(target, spec.system_prompt)
    return target
