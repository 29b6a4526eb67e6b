from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

import pytest

from redline.core import (
    ConfigError,
    GenerationParams,
    Message,
    TargetError,
    TargetResponseError,
    TargetTransientError,
)
from redline.targets import PythonTarget, TargetSpec, build_target

PARAMS = GenerationParams(max_tokens=7)

APP = textwrap.dedent(
    """
    import asyncio
    import threading

    from redline.core import Completion, TargetTransientError

    def sync_messages(messages):
        roles = ",".join(m["role"] for m in messages)
        return f"{roles}|{messages[-1]['content']}|{threading.current_thread().name}"

    async def async_prompt(prompt):
        await asyncio.sleep(0)
        return {"text": prompt.upper(), "finish_reason": "stop",
                "usage": {"prompt_tokens": 2, "completion_tokens": 1}}

    def with_params(prompt, params):
        return f"{prompt}:{params.max_tokens}"

    def completion(messages):
        return Completion(text="done", finish_reason="length")

    def broken(messages):
        raise KeyError("boom")

    def busy(messages):
        raise TargetTransientError("try later", retry_after=2)

    def wrong_type(messages):
        return 42

    NOT_CALLABLE = 3
    """
)


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_app.py"
    path.write_text(APP)
    return path


def target(app_file: Path, function: str) -> PythonTarget:
    built = build_target(TargetSpec(kind=f"python:{app_file}:{function}"))
    assert isinstance(built, PythonTarget)
    return built


CONVERSATION = [Message(role="system", content="s"), Message(role="user", content="hello")]


async def test_sync_function_gets_messages_in_a_thread(app_file):
    completion = await target(app_file, "sync_messages").generate(CONVERSATION, PARAMS)
    roles, last, thread = completion.text.split("|")
    assert (roles, last) == ("system,user", "hello")
    assert thread != threading.current_thread().name


async def test_async_function_with_prompt_parameter_returning_dict(app_file):
    completion = await target(app_file, "async_prompt").generate(CONVERSATION, PARAMS)
    assert completion.text == "HELLO"
    assert completion.usage.prompt_tokens == 2


async def test_params_are_passed_when_asked_for(app_file):
    completion = await target(app_file, "with_params").generate(CONVERSATION, PARAMS)
    assert completion.text == "hello:7"


async def test_completion_return_value(app_file):
    completion = await target(app_file, "completion").generate(CONVERSATION, PARAMS)
    assert (completion.text, completion.finish_reason) == ("done", "length")


async def test_exceptions_become_target_errors(app_file):
    with pytest.raises(TargetError, match="raised KeyError: 'boom'"):
        await target(app_file, "broken").generate(CONVERSATION, PARAMS)
    with pytest.raises(TargetTransientError) as info:
        await target(app_file, "busy").generate(CONVERSATION, PARAMS)
    assert info.value.retry_after == 2
    with pytest.raises(TargetResponseError, match="returned int"):
        await target(app_file, "wrong_type").generate(CONVERSATION, PARAMS)


async def test_importable_module_reference(app_file, monkeypatch):
    monkeypatch.syspath_prepend(str(app_file.parent))
    built = build_target(TargetSpec(kind="python:my_app:async_prompt"))
    assert built.name == "python:my_app:async_prompt"
    assert (await built.generate(CONVERSATION, PARAMS)).text == "HELLO"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python:no_such_module_xyz:f", "no module named 'no_such_module_xyz'"),
        ("python:{file}:missing", "has no attribute 'missing'"),
        ("python:{file}:NOT_CALLABLE", "is not callable"),
        ("python:/does/not/exist.py:f", "does not exist"),
        ("python:justonepart", "expected python:module:function"),
        ("python", "name the function"),
    ],
)
def test_bad_references_are_config_errors(app_file, reference, expected):
    with pytest.raises(ConfigError, match=expected):
        build_target(TargetSpec(kind=reference.format(file=app_file)))


def test_a_file_that_fails_to_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('import-time failure')\n")
    with pytest.raises(ConfigError, match=r"importing .*bad\.py failed: RuntimeError"):
        build_target(TargetSpec(kind=f"python:{bad}:f"))


def test_module_in_the_current_directory_is_found(tmp_path, monkeypatch):
    # The installed `redline` script puts its bin directory first on sys.path, not
    # the current directory (as `python -m redline` does).
    (tmp_path / "cwd_target_app.py").write_text("def reply(prompt):\n    return 'hi ' + prompt\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    target = build_target(TargetSpec.parse("python:cwd_target_app:reply"))
    assert target.name == "python:cwd_target_app:reply"
    assert str(tmp_path) not in sys.path  # found without staying on the path
