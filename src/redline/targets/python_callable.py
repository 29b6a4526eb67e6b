"""PythonTarget: a Python function as the system under test (``python:module:function``)."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redline.core import (
    Completion,
    ConfigError,
    GenerationParams,
    Message,
    TargetError,
    TargetResponseError,
    ToolCall,
    Usage,
)
from redline.targets.base import TARGETS
from redline.targets.spec import PYTHON_PREFIX, TargetSpec


def _split_reference(reference: str) -> tuple[str, str]:
    module, sep, function = reference.rpartition(":")
    if not sep or not module or not function:
        raise ConfigError(
            f"target {PYTHON_PREFIX}{reference}: expected python:module:function "
            "or python:path/to/file.py:function"
        )
    return module, function


@contextmanager
def _current_directory_importable() -> Iterator[None]:
    """Let ``python:my_module:fn`` find my_module.py in the current directory.

    ``python -m redline`` puts the current directory on sys.path, but the
    installed ``redline`` script puts its own bin directory there instead.
    """
    cwd = os.getcwd()
    if cwd in sys.path or "" in sys.path:
        yield
        return
    sys.path.insert(0, cwd)
    try:
        yield
    finally:
        sys.path.remove(cwd)


def _import_module(module_ref: str, *, kind: str) -> Any:
    if module_ref.endswith(".py") or "/" in module_ref:
        path = Path(module_ref).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"target {kind}: file {module_ref} does not exist")
        # A name derived from the path keeps two files called app.py apart.
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        name = f"redline_target_{path.stem}_{digest}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"target {kind}: cannot import {module_ref}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise ConfigError(
                f"target {kind}: importing {module_ref} failed: {type(exc).__name__}: {exc}"
            ) from None
        return module
    try:
        with _current_directory_importable():
            return importlib.import_module(module_ref)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"target {kind}: no module named {exc.name!r} (is it installed or on PYTHONPATH?)"
        ) from None
    except Exception as exc:
        raise ConfigError(
            f"target {kind}: importing {module_ref} failed: {type(exc).__name__}: {exc}"
        ) from None


def load_callable(kind: str) -> Callable[..., Any]:
    """Resolve ``python:module:function`` (or ``python:file.py:function``) to the function."""
    module_ref, function_name = _split_reference(kind.removeprefix(PYTHON_PREFIX))
    module = _import_module(module_ref, kind=kind)
    function = getattr(module, function_name, None)
    if function is None:
        raise ConfigError(f"target {kind}: {module_ref} has no attribute {function_name!r}")
    if not callable(function):
        raise ConfigError(f"target {kind}: {module_ref}.{function_name} is not callable")
    return function  # type: ignore[no-any-return]


def _tool_calls(raw: Any, *, name: str) -> list[ToolCall] | None:
    """``[{"name", "arguments" (dict or JSON text), "id"?}]`` from a user's agent."""
    if not raw:
        return None
    if not isinstance(raw, list):
        raise TargetResponseError(f"{name}: 'tool_calls' must be a list of {{name, arguments}}")
    calls = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise TargetResponseError(f"{name}: tool_calls[{index}] has no 'name'")
        arguments = item.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            ToolCall(
                id=str(item.get("id") or f"call_{index}"), name=item["name"], arguments=arguments
            )
        )
    return calls


def _to_completion(value: Any, *, name: str) -> Completion:
    if isinstance(value, Completion):
        return value
    if isinstance(value, str):
        return Completion(text=value)
    if isinstance(value, dict) and (isinstance(value.get("text"), str) or value.get("tool_calls")):
        usage = value.get("usage") or {}
        return Completion(
            text=str(value.get("text") or ""),
            finish_reason=value.get("finish_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
            ),
            tool_calls=_tool_calls(value.get("tool_calls"), name=name),
        )
    raise TargetResponseError(
        f"{name}: returned {type(value).__name__}; expected str, a dict with 'text' "
        "(and/or 'tool_calls'), or a Completion"
    )


def _message_dict(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out


@TARGETS.register("python")
class PythonTarget:
    """Calls a function with the conversation and reads its reply.

    The function receives ``messages`` (a list of ``{"role", "content"}``
    dicts), or the last user message if its first parameter is named
    ``prompt``; it also gets ``params`` (GenerationParams) if it has a
    parameter of that name, and ``tools`` (the tools offered, each
    ``{"name", "description", "parameters"}``) if it has a parameter of that
    name. An agent returns ``{"text": ..., "tool_calls": [{"name", "arguments"}]}``;
    messages then carry ``tool_calls``/``tool_call_id``/``name`` where set.
    Sync functions run in a worker thread.
    """

    description = "a Python function: python:module:function or python:path/file.py:function"

    def __init__(self, function: Callable[..., Any], *, name: str) -> None:
        self.function = function
        self.name = name
        parameters = list(inspect.signature(function).parameters.values())
        self._wants_prompt = bool(parameters) and parameters[0].name == "prompt"
        self._wants_params = any(
            p.name == "params" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters[1:]
        )
        self._wants_tools = any(
            p.name == "tools" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters[1:]
        )
        self._is_async = inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
            getattr(function, "__call__", None)  # noqa: B004 - async callable objects
        )

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> PythonTarget:
        if not spec.kind.startswith(PYTHON_PREFIX):
            raise ConfigError(
                "target python: name the function, e.g. --target python:my_app.chat:reply"
            )
        return cls(load_callable(spec.kind), name=spec.kind)

    def __repr__(self) -> str:
        return f"PythonTarget(name={self.name!r})"

    def _arguments(
        self, messages: list[Message], params: GenerationParams
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._wants_prompt:
            prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
            args: tuple[Any, ...] = (prompt,)
        else:
            args = ([_message_dict(m) for m in messages],)
        kwargs: dict[str, Any] = {"params": params} if self._wants_params else {}
        if self._wants_tools:
            kwargs["tools"] = params.tools or []
        return args, kwargs

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        args, kwargs = self._arguments(messages, params)
        try:
            if self._is_async:
                value = await self.function(*args, **kwargs)
            else:
                value = await asyncio.to_thread(self.function, *args, **kwargs)
                if inspect.isawaitable(value):
                    value = await value
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(f"{self.name} raised {type(exc).__name__}: {exc}") from exc
        return _to_completion(value, name=self.name)

    async def aclose(self) -> None:
        return None
