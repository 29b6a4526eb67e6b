from __future__ import annotations

import pytest

from redline.core import Completion, ConfigError, GenerationParams, Message, UnknownNameError
from redline.targets import (
    TARGETS,
    OpenAITarget,
    SystemPromptTarget,
    Target,
    TargetSpec,
    build_target,
)
from redline.testing import running_stub


def test_unknown_kind_suggests_the_closest():
    with pytest.raises(UnknownNameError, match=r"unknown target 'opnai'.*Did you mean 'openai'"):
        build_target(TargetSpec.model_construct(kind="opnai"))


def test_spec_rejects_an_unknown_kind_with_the_closest():
    with pytest.raises(ValueError, match=r"unknown target 'opnai'.*Did you mean 'openai'"):
        TargetSpec(kind="opnai")


def test_builtin_kinds_are_registered():
    assert {"local", "openai", "anthropic", "http", "python"} <= set(TARGETS.names())


async def test_system_prompt_is_added_only_when_missing(tmp_path):
    app = tmp_path / "roles.py"
    app.write_text("def reply(messages):\n    return repr(messages)\n")
    spec = TargetSpec(kind=f"python:{app}:reply", system_prompt="Be safe.")
    target = build_target(spec)
    assert isinstance(target, SystemPromptTarget)
    assert isinstance(target, Target)
    params = GenerationParams()
    added = await target.generate([Message(role="user", content="q")], params)
    assert added.text.startswith("[{'role': 'system', 'content': 'Be safe.'}")
    own = await target.generate(
        [Message(role="system", content="mine"), Message(role="user", content="q")], params
    )
    assert "Be safe." not in own.text and "mine" in own.text
    await target.aclose()


class EchoPlugin:
    """A third-party style target: no from_spec, keyword options."""

    def __init__(self, *, model: str = "none", greeting: str = "hi") -> None:
        self.name = f"echo:{model}"
        self.greeting = greeting

    async def generate(self, messages, params):
        return Completion(text=f"{self.greeting} {messages[-1].content}")

    async def aclose(self):
        return None


async def test_plugin_without_from_spec_gets_keyword_options():
    if "test-echo" not in TARGETS:
        TARGETS.register("test-echo")(EchoPlugin)
    target = build_target(TargetSpec(kind="test-echo", model="x", options={"greeting": "yo"}))
    assert target.name == "echo:x"
    completion = await target.generate([Message(role="user", content="there")], GenerationParams())
    assert completion.text == "yo there"
    with pytest.raises(ConfigError, match="bad options"):
        build_target(TargetSpec(kind="test-echo", options={"nonsense": 1}))


async def test_secrets_never_in_name_repr_or_errors(monkeypatch):
    secret = "sk-live-SECRETSECRET123"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    async with running_stub(delay=0, mode="unauthorized") as url:
        target = build_target(TargetSpec(kind="openai", model="m", base_url=url))
        assert isinstance(target, OpenAITarget)
        for text in (target.name, repr(target), str(vars(target).get("name"))):
            assert secret not in text
        with pytest.raises(Exception) as info:
            await target.generate([Message(role="user", content="x")], GenerationParams())
        await target.aclose()
    assert secret not in str(info.value)
    assert secret not in repr(info.value)
