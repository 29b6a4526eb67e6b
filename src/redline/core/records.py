"""The records every stage of redline reads and writes.

Each serialised record carries a ``schema_version`` so run directories written
by an older redline stay readable.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from redline.core.images import ImagePart

SCHEMA_VERSION = 1

Role = Literal["system", "user", "assistant", "tool"]
Expected = Literal["refuse", "comply"]


def utc_now() -> str:
    """An ISO-8601 timestamp in UTC, the one format run files use."""
    return utc_timestamp(time.time_ns())


def utc_timestamp(nanoseconds: int) -> str:
    """``nanoseconds`` since the epoch as ``datetime.isoformat(timespec="milliseconds")``
    writes it in UTC (``2026-12-05T12:00:00.123+00:00``).

    Formatted by hand with the date and time cached per second: a scan stamps
    each attempt and score, and ``datetime.now(UTC).isoformat(...)`` took ~10 µs
    a call on the build machine, a tenth of that here.
    """
    seconds, rest = divmod(nanoseconds, 1_000_000_000)
    return f"{_utc_second(seconds)}.{rest // 1_000_000:03d}+00:00"


@functools.lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


# What json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str) builds
# on every call, made once: the same text (ids depend on it), without an encoder
# per hash (a scan hashes twice per attempt).
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def content_hash(payload: Any, *, length: int = 16) -> str:
    """A stable short hash of any JSON-serialisable payload (keys sorted)."""
    text = _HASH_ENCODER.encode(payload)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks (input files can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    arguments: str = "{}"


class Message(BaseModel):
    """One chat message, in the OpenAI shape that every target adapter maps from.

    ``content`` is the text; ``images`` (optional) are sent with it, after the
    text, by targets that take images.
    """

    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str = ""
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    images: list[ImagePart] | None = None

    @model_serializer(mode="wrap")
    def _omit_no_images(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # Text-only messages serialise exactly as before images existed, so run
        # files and cache keys of text runs do not change.
        out: dict[str, Any] = handler(self)
        if self.images is None:
            out.pop("images", None)
        return out

    @property
    def has_images(self) -> bool:
        return bool(self.images)


Conversation = list[Message]


class Behavior(Record):
    """A prompt to send and what a safe model should do with it.

    ``expected`` is ``refuse`` for harmful behaviours and ``comply`` for benign
    ones; borderline-safe look-alikes are benign prompts tagged ``borderline``.
    """

    id: str
    prompt: str
    category: str = "uncategorised"
    expected: Expected = "refuse"
    source: str = "user"
    license: str | None = None
    tags: list[str] = Field(default_factory=list)
    system_prompt: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class TokenLogprob(BaseModel):
    """One generated token's log-probability and the most likely alternatives
    (``top_logprobs``: token -> log-probability), where the server returns them."""

    model_config = ConfigDict(extra="forbid")
    token: str
    logprob: float
    top_logprobs: dict[str, float] = Field(default_factory=dict)


class Completion(BaseModel):
    """What a target returned for one request."""

    model_config = ConfigDict(extra="forbid")
    text: str
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    tool_calls: list[ToolCall] | None = None
    # Set only when the request asked for them (guard models read P(unsafe) here).
    logprobs: list[TokenLogprob] | None = None
    # Seconds spent generating, without the wait in the target's own queue; set by
    # targets that queue requests (the local model answers one at a time).
    generation_s: float | None = None


class GenerationParams(BaseModel):
    """How to sample, for one request. Out-of-range values are rejected here, at the
    boundary, rather than by a provider halfway through a run.

    ``json_schema`` asks for structured output: the answer must be one JSON
    value matching it. The local target enforces it with a grammar during
    decoding (so it always parses); OpenAI-compatible targets pass it on as
    ``response_format``; targets without such a feature ignore it, so callers
    still parse defensively.
    """

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = None
    stop: list[str] | None = None
    json_schema: dict[str, Any] | None = None
    # Tools the model may call, each {"name", "description", "parameters": JSON schema}
    # (the OpenAI function shape); targets map them to their own wire format.
    tools: list[dict[str, Any]] | None = None

    def identity(self) -> dict[str, Any]:
        """The fields that identify a request, for ids and cache keys. ``json_schema``
        and ``tools`` are left out while unset, so ids made before the fields existed
        stay the same."""
        return self.model_dump(exclude=self._unset_extensions())

    def identity_json(self) -> str:
        """:meth:`identity` as compact JSON (pydantic's fixed field order hashes stably)."""
        return self.model_dump_json(exclude=self._unset_extensions())

    def _unset_extensions(self) -> set[str] | None:
        unset = {name for name in ("json_schema", "tools") if getattr(self, name) is None}
        return unset or None


class AttemptError(BaseModel):
    """Why an attempt has no response. A failed call is an error, never a refusal."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    message: str
    status: int | None = None


class Attempt(Record):
    """One conversation sent to a target and what came back.

    ``id`` is content-addressed (see :func:`attempt_id`), so re-running the same
    campaign finds the attempts it already has.
    """

    id: str
    run_id: str
    behavior_id: str
    category: str
    expected: Expected
    attack: str = "none"
    attack_params: dict[str, Any] = Field(default_factory=dict)
    target: str
    epoch: int = 0
    seed: int = 0
    messages: list[Message]
    response: str | None = None
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    # From sending to the answer, queueing in the target included (the engine's view).
    latency_s: float | None = None
    # Generation alone, when the target reports it (the local model does): with
    # concurrency above one, latency_s - generation_s is the time spent queued.
    generation_s: float | None = None
    retries: int = 0
    cached: bool = False
    error: AttemptError | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: str = Field(default_factory=utc_now)
    # What an agent episode left besides its messages: which user task and attacker
    # goal, each tool call's outcome, the checks over the final environment state.
    agent: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _omit_no_agent(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # Attempts of plain runs serialise exactly as before agents existed.
        out: dict[str, Any] = handler(self)
        if self.agent is None:
            out.pop("agent", None)
        return out

    @property
    def ok(self) -> bool:
        return self.error is None and self.response is not None


def attempt_id(
    *,
    behavior_id: str,
    prompt_hash: str,
    attack: str,
    attack_params: dict[str, Any],
    target: str,
    generation: GenerationParams,
    epoch: int,
    seed: int,
    generation_identity: dict[str, Any] | None = None,
) -> str:
    """The content address of an attempt: same inputs, same id.

    ``generation_identity`` is ``generation.identity()`` when the caller already
    has it (a plan makes it once per epoch, not once per attempt).
    """
    if generation_identity is None:
        generation_identity = generation.identity()
    return content_hash(
        {
            "behavior": behavior_id,
            "prompt": prompt_hash,
            "attack": attack,
            "params": attack_params,
            "target": target,
            "generation": generation_identity,
            "epoch": epoch,
            "seed": seed,
        }
    )


Label = str


class Score(Record):
    """A scorer's verdict on one attempt; ``value`` is in [0, 1]."""

    attempt_id: str
    scorer: str
    scorer_version: str
    label: Label
    value: float = Field(ge=0.0, le=1.0)
    rationale: str = ""
    # What an LLM judge answered, verbatim (None for scorers without a judge).
    raw_output: str | None = None
    created_at: str = Field(default_factory=utc_now)


RunStatus = Literal["running", "completed", "interrupted", "failed"]


class RunInfo(Record):
    """The frozen description of a run, stored as ``run.json``."""

    id: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)
    status: RunStatus = "running"
    config: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    datasets: dict[str, str] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    engine_stats: dict[str, Any] = Field(default_factory=dict)
