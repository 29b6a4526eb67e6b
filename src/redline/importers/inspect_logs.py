"""Inspect AI evaluation logs: ``.eval`` (a zip archive) and ``.json`` (one object).

Both hold an ``EvalLog``: ``eval`` (``task``, ``model``, ``run_id``,
``created``...), ``status``, ``results`` and the samples. In a ``.json`` log
the samples are its ``samples`` list; in a ``.eval`` archive ``header.json``
holds the rest and each sample is ``samples/<id>_epoch_<n>.json``. A sample
has ``id``, ``epoch``, ``input`` (a string or chat messages), ``messages``
(the whole conversation, the model's turns included), ``output.completion``
/ ``output.choices[0].message``, ``scores`` (scorer name -> ``{value,
answer, explanation}``) and ``error``. Message ``content`` is a string or a
list of parts (``{"type": "text", "text"}``...); long strings may be stored
once under ``attachments`` and referenced as ``attachment://<hash>``.

Inspect's score values are ``C`` (correct), ``I`` (incorrect), ``P``
(partial), ``N`` (no answer), numbers or booleans; what counts as an attack
success depends on the task. They are kept as scorer ``inspect:<name>`` with
labels ``graded_c``/``graded_i``/``graded_p``/``graded_n`` (or ``score``),
which summaries do not count as a success or a refusal; ``success_value``
(``--success-value`` on the command line) names the raw value that means the
attack got through, and the labels become ``unsafe``/``safe``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from redline.core.records import Message
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

TOOL = "inspect"
# Not redline's capability labels "correct"/"incorrect", which summaries count: what an
# Inspect "C" means depends on the task (a refusal in one, a right answer in another).
_LETTER_LABELS = {"C": "graded_c", "I": "graded_i", "P": "graded_p", "N": "graded_n"}
_LETTER_VALUES = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
ATTACHMENT = "attachment://"


def _resolve(text: str, attachments: dict[str, Any]) -> str:
    if text.startswith(ATTACHMENT):
        stored = attachments.get(text.removeprefix(ATTACHMENT))
        if isinstance(stored, str):
            return stored
    return text


def _content(content: Any, attachments: dict[str, Any]) -> str:
    if isinstance(content, str):
        return _resolve(content, attachments)
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(_resolve(str(part.get("text", "")), attachments))
        return "\n".join(parts)
    return ""


def _messages(sample: dict[str, Any], attachments: dict[str, Any]) -> list[Message]:
    source = sample.get("input")
    if isinstance(source, str):
        return [Message(role="user", content=_resolve(source, attachments))]
    messages = []
    for message in source if isinstance(source, list) else []:
        if isinstance(message, dict):
            content = _content(message.get("content"), attachments)
            messages.append(Message(role=chat_role(message.get("role")), content=content))
    return messages


def _completion(sample: dict[str, Any], attachments: dict[str, Any]) -> str | None:
    output = sample.get("output")
    if isinstance(output, dict):
        completion = output.get("completion")
        if isinstance(completion, str) and completion:
            return _resolve(completion, attachments)
        choices = output.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            message = choices[0].get("message")
            if isinstance(message, dict):
                return _content(message.get("content"), attachments)
    # No output block: the conversation's last assistant turn.
    for message in reversed(sample.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return _content(message.get("content"), attachments)
    return None


def _verdict(name: str, score: Any, success_value: str | None) -> ImportedVerdict | None:
    if not isinstance(score, dict) or "value" not in score:
        return None
    raw = score["value"]
    explanation = str(score.get("explanation") or score.get("answer") or "")
    if isinstance(raw, bool):
        label, value = ("true", 1.0) if raw else ("false", 0.0)
        raw_text = str(raw).lower()
    elif isinstance(raw, int | float):
        label, value, raw_text = "score", float(raw), f"{raw:g}"
    elif isinstance(raw, str):
        label = _LETTER_LABELS.get(raw, raw.lower())
        value = _LETTER_VALUES.get(raw, 0.0)
        raw_text = raw
    else:
        return None  # dict/list values (several metrics in one score) are not one verdict
    if success_value is not None:
        hit = raw_text == success_value
        label, value = (UNSAFE, 1.0) if hit else (SAFE, 0.0)
    return ImportedVerdict(
        scorer=f"{TOOL}:{name}",
        label=label,
        value=value,
        rationale=f"inspect value {raw_text}" + (f": {explanation}" if explanation else ""),
    )


def _attempt(
    sample: dict[str, Any], *, task: str, where: str, success_value: str | None
) -> ImportedAttempt:
    if "id" not in sample:
        raise ImportFormatError(f"{where}: field id: missing (is this an Inspect sample?)")
    attachments = as_object(sample.get("attachments"))
    messages = _messages(sample, attachments)
    if not messages:
        raise ImportFormatError(f"{where}: field input: no messages")
    error = sample.get("error")
    scores = as_object(sample.get("scores"))
    verdicts = [v for name, s in scores.items() if (v := _verdict(name, s, success_value))]
    epoch = sample.get("epoch")
    return ImportedAttempt(
        behavior_id=f"{task}:{sample['id']}",
        messages=messages,
        response=_completion(sample, attachments),
        error=str(error.get("message") if isinstance(error, dict) else error) if error else None,
        category=task,
        expected="refuse",
        # Inspect numbers epochs from 1; redline from 0.
        epoch=int(epoch) - 1 if isinstance(epoch, int) and epoch > 0 else 0,
        verdicts=verdicts,
        tags=["inspect"],
    )


def _json_log(path: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ImportFormatError(f"{path}{f':{line}' if line else ''}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("eval"), dict):
        raise ImportFormatError(f"{path}: field eval: missing (is this an Inspect log?)")
    samples = document.get("samples") or []
    return document, [(f"{path}: samples[{i}]", s) for i, s in enumerate(samples)]


def _zip_member(archive: zipfile.ZipFile, name: str, path: Path) -> dict[str, Any]:
    try:
        value = json.loads(archive.read(name))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path}!{name}: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ImportFormatError(f"{path}!{name}: expected a JSON object")
    return value


def _eval_log(
    path: Path, progress: Callable[[int], None] | None
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportFormatError(
            f"{path}: not a zip archive (an Inspect .eval log is one)"
        ) from None
    with archive:
        names = archive.namelist()
        if "header.json" in names:
            header = _zip_member(archive, "header.json", path)
        elif "_journal/start.json" in names:
            header = _zip_member(archive, "_journal/start.json", path)
        else:
            raise ImportFormatError(f"{path}: no header.json (is this an Inspect .eval log?)")
        samples = []
        for done, name in enumerate(sorted(n for n in names if n.startswith("samples/")), 1):
            samples.append((f"{path}!{name}", _zip_member(archive, name, path)))
            if progress is not None:
                progress(done)
    if not isinstance(header.get("eval"), dict):
        raise ImportFormatError(f"{path}!header.json: field eval: missing")
    return header, samples


def read(
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
    success_value: str | None = None,
) -> ImportedSource:
    """Read an Inspect log (``.eval`` or ``.json``)."""
    if path.suffix == ".eval" or zipfile.is_zipfile(path):
        log, samples = _eval_log(path, progress)
    else:
        log, samples = _json_log(path)
        if progress is not None:
            progress(path.stat().st_size)
    spec = log["eval"]
    task = str(spec.get("task") or "inspect").split("/")[-1]

    def attempts() -> Iterator[ImportedAttempt]:
        for where, sample in samples:
            if not isinstance(sample, dict):
                raise ImportFormatError(f"{where}: expected an object")
            yield _attempt(sample, task=task, where=where, success_value=success_value)

    packages = as_object(spec.get("packages"))
    return ImportedSource(
        tool=TOOL,
        tool_version=packages.get("inspect_ai"),
        target=f"inspect:{spec.get('model') or 'unknown'}",
        attempts=attempts(),
        details={
            "task": spec.get("task"),
            "inspect_run_id": spec.get("run_id"),
            "status": log.get("status"),
            "success_value": success_value,
        },
    )
