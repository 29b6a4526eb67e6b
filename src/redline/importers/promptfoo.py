"""promptfoo's ``promptfoo eval --output results.json``.

The file (results format version 2 and 3) is an object with ``evalId``,
``results`` and ``metadata.promptfooVersion``; ``results.results`` holds one
entry per (prompt, test case, provider):

- ``prompt.raw``: the rendered prompt; a JSON list of ``{"role", "content"}``
  when the prompt was a chat template;
- ``provider.id`` (``openai:gpt-4.1-mini``...), ``response.output``,
  ``response.tokenUsage``, ``latencyMs``, ``error``;
- ``success`` and ``score``: whether every assertion passed, and the weighted
  score; ``gradingResult.reason`` says why; ``gradingResult.componentResults``
  one result per assertion;
- red-team runs (``promptfoo redteam``) add ``metadata.pluginId``
  (``harmful:hate``, ``pii:direct``...), ``metadata.strategyId``
  (``jailbreak``, ``base64``...) to the test case and to the result.

A red-team test's assertions pass when the model behaved safely, so a failed
result is an attack success: the verdict becomes scorer ``promptfoo`` with
label ``unsafe`` (failed) or ``safe`` (passed). Each assertion also becomes a
scorer ``promptfoo:<assertion type>``. Results of ordinary (non red-team) evals
are imported the same way, expected ``comply``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from redline.core.records import Message, Usage
from redline.importers.imported_run import (
    SAFE,
    UNSAFE,
    ImportedAttempt,
    ImportedSource,
    ImportedVerdict,
    ImportFormatError,
    as_object,
    chat_role,
)

TOOL = "promptfoo"
_CHAT_ROLES = frozenset({"system", "user", "assistant", "tool", "developer"})


def _load(path: Path, progress: Callable[[int], None] | None) -> dict[str, Any]:
    raw = path.read_bytes()
    if progress is not None:
        progress(len(raw))
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise ImportFormatError(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ImportFormatError(f"{path}: expected a JSON object (promptfoo results)")
    return document


def _results(document: dict[str, Any], path: Path) -> list[Any]:
    block = document.get("results")
    if isinstance(block, dict) and isinstance(block.get("results"), list):
        return list(block["results"])
    raise ImportFormatError(
        f"{path}: field results.results: missing (is this `promptfoo eval --output` JSON?)"
    )


def _messages(raw: Any) -> list[Message]:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if text.lstrip().startswith("["):
        try:
            chat = json.loads(text)
        except json.JSONDecodeError:
            chat = None
        if isinstance(chat, list) and all(
            isinstance(m, dict) and m.get("role") in _CHAT_ROLES for m in chat
        ):
            return [
                Message(
                    role=chat_role(m["role"]),
                    content=m["content"]
                    if isinstance(m.get("content"), str)
                    else json.dumps(m.get("content")),
                )
                for m in chat
            ]
    return [Message(role="user", content=text)]


def _output(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    output = response.get("output")
    if output is None or isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False)


def _usage(response: Any) -> Usage:
    tokens = response.get("tokenUsage") if isinstance(response, dict) else None
    if not isinstance(tokens, dict):
        return Usage()
    return Usage(
        prompt_tokens=int(tokens.get("prompt") or 0),
        completion_tokens=int(tokens.get("completion") or 0),
    )


def _verdicts(result: dict[str, Any]) -> list[ImportedVerdict]:
    if result.get("error") and result.get("gradingResult") is None:
        return []  # the call failed: nothing was graded
    grading = as_object(result.get("gradingResult"))
    passed = bool(result.get("success"))
    score = result.get("score")
    verdicts = [
        ImportedVerdict(
            scorer=TOOL,
            label=SAFE if passed else UNSAFE,
            value=0.0 if passed else 1.0,
            rationale=str(grading.get("reason") or "")
            + (f" (promptfoo score {score})" if score is not None else ""),
        )
    ]
    for component in grading.get("componentResults") or []:
        if not isinstance(component, dict):
            continue
        kind = as_object(component.get("assertion")).get("type")
        if not kind:
            continue
        ok = bool(component.get("pass"))
        verdicts.append(
            ImportedVerdict(
                scorer=f"{TOOL}:{kind}",
                label=SAFE if ok else UNSAFE,
                value=0.0 if ok else 1.0,
                rationale=str(component.get("reason") or ""),
            )
        )
    # One scorer per assertion type: the first of a type speaks for it.
    unique: dict[str, ImportedVerdict] = {}
    for verdict in verdicts:
        unique.setdefault(verdict.scorer, verdict)
    return list(unique.values())


def _attempts(results: list[Any], path: Path) -> Iterator[ImportedAttempt]:
    for index, result in enumerate(results):
        where = f"{path}: results.results[{index}]"
        if not isinstance(result, dict):
            raise ImportFormatError(f"{where}: expected an object")
        prompt = result.get("prompt")
        if not isinstance(prompt, dict) or "raw" not in prompt:
            raise ImportFormatError(f"{where}: field prompt.raw: missing")
        test = as_object(result.get("testCase"))
        meta = {**as_object(test.get("metadata")), **as_object(result.get("metadata"))}
        plugin = meta.get("pluginId")
        strategy = meta.get("strategyId")
        description = test.get("description")
        latency = result.get("latencyMs")
        error = result.get("error")
        yield ImportedAttempt(
            behavior_id=f"test-{result.get('testIdx', index)}:prompt-{result.get('promptIdx', 0)}",
            messages=_messages(prompt["raw"]),
            response=_output(result.get("response")),
            error=str(error) if error and not result.get("response") else None,
            category=str(plugin or meta.get("harmCategory") or prompt.get("label") or "promptfoo"),
            expected="refuse" if plugin else "comply",
            attack=str(strategy or "none"),
            latency_s=float(latency) / 1000 if isinstance(latency, int | float) else None,
            usage=_usage(result.get("response")),
            verdicts=_verdicts(result),
            tags=["promptfoo"] + ([f"description:{description}"] if description else []),
            target=_provider(result),
        )


def _provider(result: dict[str, Any]) -> str:
    provider = result.get("provider")
    # Older files name the provider by a bare string.
    name = provider.get("id") if isinstance(provider, dict) else provider
    return f"promptfoo:{name or 'unknown'}"


def _target(results: list[Any]) -> str:
    providers = sorted({_provider(r) for r in results if isinstance(r, dict)})
    return ",".join(providers) if providers else "promptfoo:unknown"


def read(path: Path, *, progress: Callable[[int], None] | None = None) -> ImportedSource:
    """Read a promptfoo results file."""
    document = _load(path, progress)
    results = _results(document, path)
    metadata = as_object(document.get("metadata"))
    return ImportedSource(
        tool=TOOL,
        tool_version=metadata.get("promptfooVersion"),
        target=_target(results),
        attempts=_attempts(results, path),
        details={"eval_id": document.get("evalId")},
    )
