"""The ``guard_model`` scanner: a guard model behind any redline target."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from pydantic import ValidationError

from redline.core import ConfigError, GenerationParams, TargetTimeoutError
from redline.guard.model_backed.conversation import guard_turns
from redline.guard.model_backed.event_loop import BackgroundLoop
from redline.guard.model_backed.formats import build_format
from redline.guard.model_backed.guard_format import Delivery, GuardFormat
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side
from redline.targets import build_target
from redline.targets.spec import TargetSpec


def _target_spec(raw: Any, *, logprobs: bool | str) -> TargetSpec:
    if not isinstance(raw, dict):
        raise ConfigError(
            "target: expected a mapping such as {kind: openai, model: ..., base_url: ...}"
        )
    try:
        spec = TargetSpec.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise ConfigError(f"target.{field}: {error['msg']}") from None
    if spec.kind == "openai" and logprobs in (True, "auto") and "logprobs" not in spec.options:
        # OpenAI-compatible servers (vLLM, llama.cpp server) give P(answer token) this way.
        spec = spec.model_copy(
            update={"options": {**spec.options, "logprobs": True, "top_logprobs": 5}}
        )
    return spec


@SCANNERS.register("guard_model")
class ModelBackedScanner:
    """Asks a guard model (Llama Guard 3/4, ShieldGemma, WildGuard, Granite
    Guardian) behind any redline target and reads its answer into category scores:
    ``unsafe`` plus taxonomy ids (``s1``..``s14``) and ``harassment``/``jailbreak``
    where the format has them. With log-probabilities (OpenAI-compatible servers)
    scores are P(unsafe); otherwise 0 or 1. An answer the format cannot read, a
    target error or no answer within ``timeout_s`` raises, and the policy's
    ``on_error`` decides.

    Options: ``format``, ``target`` (a target spec: ``kind``, ``model``,
    ``base_url``, ``api_key_env``, ``model_path``, ``options``), ``delivery``
    (``instruction`` or ``conversation``), ``policies`` and ``definitions``
    (ShieldGemma, Granite Guardian), ``timeout_s``, ``max_chars``, ``logprobs``
    (``auto``/``true``/``false``), ``max_tokens``.
    """

    name = "guard_model"
    sides: frozenset[Side] = frozenset({"input", "output"})
    # Every category some format scores; an instance has its format's.
    categories: tuple[str, ...] = (
        "unsafe", *(f"s{i}" for i in range(1, 15)), "harassment", "jailbreak",
    )  # fmt: skip
    redactable = False
    remote = True

    def __init__(
        self,
        *,
        format: str = "",
        target: dict[str, Any] | None = None,
        delivery: Delivery = "instruction",
        policies: list[str] | None = None,
        definitions: dict[str, str] | None = None,
        timeout_s: float = 10.0,
        max_chars: int = 8000,
        logprobs: bool | str = "auto",
        max_tokens: int | None = None,
    ) -> None:
        if not format:
            raise ConfigError("options.format is required (e.g. llama_guard_3)")
        if target is None:
            raise ConfigError(
                "options.target is required (a target spec: kind, model, base_url...)"
            )
        if delivery not in ("instruction", "conversation"):
            raise ConfigError(
                f"options.delivery: expected instruction or conversation, got {delivery!r}"
            )
        if timeout_s <= 0 or max_chars < 100:
            raise ConfigError("options.timeout_s must be > 0 and options.max_chars >= 100")
        if logprobs not in (True, False, "auto"):
            raise ConfigError(f"options.logprobs: expected auto, true or false, got {logprobs!r}")
        self.format: GuardFormat = build_format(format, policies=policies, definitions=definitions)
        self.categories = self.format.categories
        self.delivery: Delivery = delivery
        self.timeout_s = timeout_s
        self.max_chars = max_chars
        self.max_tokens = max_tokens
        self.target = build_target(_target_spec(target, logprobs=logprobs), timeout=timeout_s)
        self._loop = BackgroundLoop(f"guard-model-{format}")
        self._count_lock = threading.Lock()
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"ModelBackedScanner(format={self.format.name!r}, target={self.target.name!r})"

    async def _judge(self, text: str, context: ScanContext) -> ScanResult:
        turns = guard_turns(text, context, max_chars=self.max_chars)
        side = context.side
        requests = self.format.requests(turns, side, self.delivery)
        with self._count_lock:
            self.requests_sent += len(requests)
        completions = await asyncio.gather(
            *(
                self.target.generate(
                    request.messages,
                    GenerationParams(
                        max_tokens=self.max_tokens or request.max_tokens, temperature=0.0
                    ),
                )
                for request in requests
            )
        )
        scores = {category: 0.0 for category in self.categories}
        notes: list[str] = []
        for request, completion in zip(requests, completions, strict=True):
            reading = self.format.read(request, completion, side)
            for category, value in reading.scores.items():
                scores[category] = max(scores.get(category, 0.0), value)
            notes.append(reading.note)
        note = "; ".join(notes)
        return ScanResult(scores=scores, notes={c: note for c, v in scores.items() if v > 0.0})

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.scan_within(text, context, timeout_s=self.timeout_s)

    async def ascan(self, text: str, context: ScanContext) -> ScanResult:
        return await self.ascan_within(text, context, timeout_s=self.timeout_s)

    def scan_within(self, text: str, context: ScanContext, *, timeout_s: float) -> ScanResult:
        """``scan`` with its own time limit; raises TargetTimeoutError past it."""
        started = time.perf_counter()
        try:
            return self._loop.run(self._judge(text, context), timeout=timeout_s)
        except TimeoutError:
            raise self._timeout(started) from None

    async def ascan_within(
        self, text: str, context: ScanContext, *, timeout_s: float
    ) -> ScanResult:
        started = time.perf_counter()
        try:
            return await self._loop.run_async(self._judge(text, context), timeout=timeout_s)
        except TimeoutError:
            raise self._timeout(started) from None

    def _timeout(self, started: float) -> TargetTimeoutError:
        waited = (time.perf_counter() - started) * 1000
        return TargetTimeoutError(f"{self.target.name}: no answer in {waited:.0f} ms")

    def close(self) -> None:
        """Close the target's connections and stop the private event loop."""
        # Best-effort: the process may be exiting and the server gone.
        with contextlib.suppress(Exception):
            self._loop.run(self.target.aclose(), timeout=5)
        self._loop.close()
