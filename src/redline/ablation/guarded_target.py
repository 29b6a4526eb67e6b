"""A target behind the runtime guard: ``redline.guard``'s pipeline in front of a model.

An ablation arm with a guard sends every prompt through :class:`GuardedTarget`:
the guard checks the input (a block answers with the policy's refusal message
and never reaches the model; a redaction sends the redacted messages), then the
model's reply (a block replaces it with the refusal message). Blocked answers
end with ``finish_reason="content_filter"``, as the guard proxy's do.

Registered as target kind ``guarded`` so a campaign (and so the run loop, its
cache and resume) builds it from a :class:`TargetSpec` like any other target:
``options = {"inner": <target spec>, "guard": <GuardSettings>, "answers_cache": PATH}``.

With ``answers_cache`` (the runs directory's response cache), the model's
answer to a request the guard lets through is looked up under the key the
same model without the guard files it under, and filed there when it is new:
a study's guarded arm does not ask the model again what the unguarded arm
with the same system prompt already asked (the answer is the same request's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from redline.core import Completion, ConfigError, GenerationParams, Message, content_hash
from redline.engine import ResponseCache, cache_key, target_fingerprint
from redline.guard import Guard, Policy, default_policy, default_policy_text, load_policy
from redline.targets import build_target
from redline.targets.base import TARGETS, Target
from redline.targets.spec import TargetSpec

GUARDED_KIND = "guarded"
CONTENT_FILTER = "content_filter"


class GuardSettings(BaseModel):
    """Which guard policy sits in front of the model, and any thresholds changed in it.

    ``policy`` is ``default`` (the shipped policy) or a policy file;
    ``thresholds`` maps scanner names to a new threshold (0-1), for arms that
    sweep how strict one scanner is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = "default"
    thresholds: dict[str, float] = Field(default_factory=dict)

    def load(self) -> Policy:
        """The policy with the thresholds applied; unknown scanners are a ConfigError."""
        policy = default_policy() if self.policy == "default" else load_policy(Path(self.policy))
        scanners = dict(policy.scanners)
        for name, threshold in self.thresholds.items():
            if name not in scanners:
                raise ConfigError(
                    f"guard thresholds: no scanner {name!r} in policy {self.policy} "
                    f"(scanners: {', '.join(scanners)})"
                )
            if not 0.0 <= threshold <= 1.0:
                raise ConfigError(f"guard thresholds: {name}: {threshold} is not between 0 and 1")
            scanners[name] = scanners[name].model_copy(update={"threshold": threshold})
        return policy.model_copy(update={"scanners": scanners})

    def identity(self) -> str:
        """A hash of what the guard decides with: the policy text and the thresholds."""
        text = (
            default_policy_text()
            if self.policy == "default"
            else _read_policy_text(Path(self.policy))
        )
        return content_hash({"policy": text, "thresholds": self.thresholds}, length=12)


def _read_policy_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read guard policy: {exc}") from None


@TARGETS.register(GUARDED_KIND)
class GuardedTarget:
    """``inner`` with ``guard`` checking what goes in and what comes out."""

    def __init__(
        self,
        inner: Target,
        guard: Guard,
        *,
        identity: str,
        answers: ResponseCache | None = None,
        answers_namespace: str = "",
    ) -> None:
        self.inner = inner
        self.guard = guard
        self.answers = answers
        self.answers_namespace = answers_namespace
        # The guard is part of the target's identity: attempt ids and cached answers
        # of a guarded arm never mix with the bare model's.
        self.name = f"guarded[{identity}]:{inner.name}"
        self.blocked_inputs = 0
        self.blocked_outputs = 0

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> GuardedTarget:
        options: dict[str, Any] = dict(spec.options)
        if "inner" not in options:
            raise ConfigError("target guarded: options.inner (the guarded model's spec) is missing")
        inner_spec = TargetSpec.model_validate(options.pop("inner"))
        settings = GuardSettings.model_validate(options.pop("guard", {}))
        answers_path = options.pop("answers_cache", None)
        if options:
            raise ConfigError(f"target guarded: unknown options {', '.join(sorted(options))}")
        guard = Guard(settings.load())
        inner = build_target(inner_spec, timeout=timeout)
        if answers_path is None:
            return cls(inner, guard, identity=settings.identity())
        # The unguarded twin is the inner model with this target's system prompt.
        twin = inner_spec.model_copy(update={"system_prompt": spec.system_prompt})
        return cls(
            inner,
            guard,
            identity=settings.identity(),
            answers=ResponseCache(Path(answers_path)),
            answers_namespace=target_fingerprint(twin, inner),
        )

    def _refusal(self) -> Completion:
        return Completion(text=self.guard.policy.refusal_message, finish_reason=CONTENT_FILTER)

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        checked = await self.guard.acheck_input(messages)
        if checked.blocked:
            self.blocked_inputs += 1
            return self._refusal()
        sent = checked.redacted_messages or messages
        completion = await self._model_answer(sent, params)
        reply = await self.guard.acheck_output(sent, completion.text)
        if reply.blocked:
            self.blocked_outputs += 1
            return self._refusal().model_copy(update={"usage": completion.usage})
        if reply.redacted_text is not None:
            return completion.model_copy(update={"text": reply.redacted_text})
        return completion

    async def _model_answer(self, messages: list[Message], params: GenerationParams) -> Completion:
        if self.answers is None:
            return await self.inner.generate(messages, params)
        # A study sends one epoch, so the attempt seed is the request's seed (see run.plan).
        key = cache_key(self.answers_namespace, messages, params, 0, params.seed or 0)
        cached = self.answers.get(key)
        if cached is not None:
            return cached
        completion = await self.inner.generate(messages, params)
        self.answers.put(key, completion)
        return completion

    async def aclose(self) -> None:
        self.guard.close()
        if self.answers is not None:
            self.answers.close()
        await self.inner.aclose()


def guarded_spec(
    inner: TargetSpec, settings: GuardSettings, *, answers_cache: Path | None = None
) -> TargetSpec:
    """The spec of ``inner`` behind a guard with ``settings`` (sharing the model's
    answers through ``answers_cache`` when given)."""
    options: dict[str, Any] = {
        "inner": inner.model_dump(mode="json"),
        "guard": settings.model_dump(),
    }
    if answers_cache is not None:
        options["answers_cache"] = str(answers_cache)
    return TargetSpec(kind=GUARDED_KIND, options=options)
