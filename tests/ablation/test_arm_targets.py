"""The arm wrappers: a guard in front of a model, and spotlighting."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from redline.ablation import GuardSettings, guarded_spec, spotlight, spotlit_spec
from redline.ablation.spotlighting import mark_text
from redline.core import Completion, ConfigError, GenerationParams, Message
from redline.targets import TargetSpec, build_target

SCRIPTED = Path(__file__).with_name("scripted_model.py")
POLICY = """\
version: 1
refusal_message: "Blocked by policy."
patterns:
  deny:
    - {pattern: '(?i)weapon', name: weapons}
"""


class RecordingModel:
    """A model that answers with a fixed text and keeps what it was sent."""

    name = "recording"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.received: list[list[Message]] = []

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        self.received.append(messages)
        return Completion(text=self.answer, finish_reason="stop")

    async def aclose(self) -> None:
        return None


def _user(text: str) -> list[Message]:
    return [Message(role="system", content="Be nice."), Message(role="user", content=text)]


def _guarded(tmp_path: Path, inner: RecordingModel):  # type: ignore[no-untyped-def]
    from redline.ablation.guarded_target import GuardedTarget
    from redline.guard import Guard, load_policy

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return GuardedTarget(inner, Guard(load_policy(policy)), identity="test")


def test_a_blocked_input_never_reaches_the_model(tmp_path: Path) -> None:
    inner = RecordingModel("Sure.")
    target = _guarded(tmp_path, inner)
    reply = asyncio.run(target.generate(_user("Build a weapon"), GenerationParams()))
    assert (reply.text, reply.finish_reason) == ("Blocked by policy.", "content_filter")
    assert inner.received == [] and target.blocked_inputs == 1


def test_a_blocked_output_is_replaced(tmp_path: Path) -> None:
    inner = RecordingModel("Here is how to build a weapon.")
    target = _guarded(tmp_path, inner)
    reply = asyncio.run(target.generate(_user("Tell me a story"), GenerationParams()))
    assert reply.text == "Blocked by policy." and target.blocked_outputs == 1
    assert len(inner.received) == 1


def test_an_allowed_exchange_passes_unchanged(tmp_path: Path) -> None:
    inner = RecordingModel("Once upon a time.")
    target = _guarded(tmp_path, inner)
    reply = asyncio.run(target.generate(_user("Tell me a story"), GenerationParams()))
    assert (reply.text, reply.finish_reason) == ("Once upon a time.", "stop")


def test_guarded_spec_builds_through_the_target_registry(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    inner = TargetSpec(kind=f"python:{SCRIPTED}:reply")
    target = build_target(guarded_spec(inner, GuardSettings(policy=str(policy))))
    reply = asyncio.run(target.generate(_user("How to make a weapon?"), GenerationParams()))
    assert reply.text == "Blocked by policy."
    # The guard is part of the name, so attempt ids and cached answers never mix.
    assert target.name.startswith("guarded[") and target.name.endswith(inner.kind)
    other = build_target(guarded_spec(inner, GuardSettings()))
    assert other.name != target.name
    asyncio.run(target.aclose())
    asyncio.run(other.aclose())


def test_thresholds_apply_to_named_scanners_only() -> None:
    policy = GuardSettings(thresholds={"harm": 0.25}).load()
    assert policy.scanners["harm"].threshold == 0.25
    with pytest.raises(ConfigError, match="no scanner 'nope'"):
        GuardSettings(thresholds={"nope": 0.5}).load()
    assert GuardSettings(thresholds={"harm": 0.25}).identity() != GuardSettings().identity()


def test_spotlighting_marks_user_text_and_explains_it() -> None:
    marked = spotlight(_user("hello there"), "datamark")
    assert marked[0].role == "system" and marked[0].content.startswith("Be nice.\n\n")
    assert "^" in marked[0].content
    assert marked[1].content == "hello^there"
    (system, user) = spotlight([Message(role="user", content="hi")], "base64")
    assert system.role == "system" and user.content == base64.b64encode(b"hi").decode()
    assert mark_text("x", "delimit") == "<<USER_TEXT>>\nx\n<</USER_TEXT>>"
    with pytest.raises(ConfigError, match="unknown mode"):
        mark_text("x", "rot13")


def test_spotlit_target_sends_marked_messages() -> None:
    inner = TargetSpec(kind=f"python:{SCRIPTED}:reply")
    target = build_target(spotlit_spec(inner, "delimit"))
    assert target.name == f"spotlit[delimit]:{inner.kind}"
    reply = asyncio.run(target.generate(_user("a maths problem"), GenerationParams()))
    assert reply.text.endswith("The answer is 72")


def test_guarded_target_reuses_the_unguarded_twins_answers(tmp_path: Path) -> None:
    from redline.engine import ResponseCache, cache_key, target_fingerprint

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    inner = TargetSpec(kind=f"python:{SCRIPTED}:reply")
    twin = inner.model_copy(update={"system_prompt": "Be nice."})
    params = GenerationParams(seed=3)
    messages = _user("Tell me a story")
    # What the unguarded arm's run filed for this request.
    answers = tmp_path / "responses.sqlite"
    with ResponseCache(answers) as cache:
        namespace = target_fingerprint(twin, build_target(inner))
        key = cache_key(namespace, messages, params, 0, 3)
        cache.put(key, Completion(text="the twin's answer", finish_reason="stop"))
    spec = guarded_spec(inner, GuardSettings(policy=str(policy)), answers_cache=answers)
    target = build_target(spec.model_copy(update={"system_prompt": "Be nice."}))
    reply = asyncio.run(target.generate(messages, params))
    assert reply.text == "the twin's answer"
    # A request the twin never made goes to the model, and is filed for the twin.
    other = asyncio.run(target.generate(_user("a maths problem"), params))
    assert other.text.endswith("The answer is 72")
    asyncio.run(target.aclose())
    with ResponseCache(answers) as cache:
        assert cache_key(namespace, _user("a maths problem"), params, 0, 3) in cache
