"""The tool-neutral shape of an imported result, and writing it as a redline run.

An importer turns one file into a :class:`ImportedSource`: what the tool says
about the run (its name, version, target) and an iterator of
:class:`ImportedAttempt`. :func:`import_run` writes them into a new run
directory through the ordinary run store, so nothing downstream knows the run
came from elsewhere except ``run.json``'s ``config.imported_from``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from redline.core import Attempt, ConfigError, RunInfo, Score
from redline.core.records import (
    AttemptError,
    Expected,
    GenerationParams,
    Message,
    Role,
    Usage,
    attempt_id,
    content_hash,
    file_sha256,
)
from redline.store import RunStore, new_run_id

# Label written for an imported verdict that says the attack got through / was stopped.
# They are the built-in guard-model labels, so summaries count them without a plugin.
UNSAFE = "unsafe"
SAFE = "safe"


class ImportFormatError(ConfigError):
    """The file is not what the importer reads; the message names FILE[:LINE] and the field."""


@dataclass(frozen=True)
class ImportedVerdict:
    """One of the tool's own judgements of an attempt, kept as a redline score."""

    scorer: str
    label: str
    value: float
    rationale: str = ""


@dataclass
class ImportedAttempt:
    """One prompt (or conversation) the tool sent, what came back, and the tool's verdicts."""

    behavior_id: str
    messages: list[Message]
    response: str | None
    category: str
    expected: Expected
    attack: str = "none"
    epoch: int = 0
    error: str | None = None
    latency_s: float | None = None
    usage: Usage = field(default_factory=Usage)
    verdicts: list[ImportedVerdict] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attack_params: dict[str, Any] = field(default_factory=dict)
    # The model this attempt went to, when a file mixes several (promptfoo providers).
    target: str | None = None


@dataclass
class ImportedSource:
    """What one importer read: the tool's description of the run and its attempts."""

    tool: str
    tool_version: str | None
    target: str
    attempts: Iterator[ImportedAttempt]
    details: dict[str, Any] = field(default_factory=dict)


class Importer(Protocol):
    """Reads one tool's output file; ``progress`` gets the bytes read so far."""

    def __call__(
        self, path: Path, *, progress: Callable[[int], None] | None = None
    ) -> ImportedSource: ...


@dataclass(frozen=True)
class ImportResult:
    run_id: str
    path: Path
    attempts: int
    scores: int
    errors: int
    scorers: tuple[str, ...]
    tool: str
    tool_version: str | None


_ROLES: dict[str, Role] = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}


def chat_role(value: Any) -> Role:
    """A tool's message role as redline's; anything unknown (``developer``...) is a user turn."""
    return _ROLES.get(value, "user") if isinstance(value, str) else "user"


def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (optional blocks may be null)."""
    return value if isinstance(value, dict) else {}


def clip_unit(value: float) -> float:
    """A tool's score as a redline score value, which lives in [0, 1]."""
    return min(1.0, max(0.0, value))


def write_imported_run(
    source: ImportedSource, path: Path, *, store: RunStore, name: str | None = None
) -> ImportResult:
    """Write what an importer read from ``path`` as a new, completed run in ``store``.

    The attempts are read in full before the run directory is created: a format
    error halfway through the file leaves no partial run behind.
    """
    attempts = list(source.attempts)
    if not attempts:
        raise ImportFormatError(
            f"{path}: no results to import (is this a {source.tool} output file?)"
        )
    generation = GenerationParams()
    run_id = new_run_id()
    info = RunInfo(
        id=run_id,
        status="completed",
        config={
            "name": name,
            "target": source.target,
            "suites": sorted({a.category for a in attempts}),
            "attacks": sorted({a.attack for a in attempts} - {"none"}),
            "scorers": sorted({v.scorer for a in attempts for v in a.verdicts}),
            "imported_from": {
                "tool": source.tool,
                "version": source.tool_version,
                "file": str(path.resolve()),
                "sha256": file_sha256(path),
                **source.details,
            },
        },
    )
    handle = store.create(info)
    scorers: set[str] = set()
    n_scores = n_errors = 0
    seen: set[str] = set()
    with handle:
        for item in attempts:
            target = item.target or source.target
            prompt_hash = content_hash([m.model_dump() for m in item.messages])
            identity = attempt_id(
                behavior_id=item.behavior_id,
                prompt_hash=prompt_hash,
                attack=item.attack,
                attack_params=item.attack_params,
                target=target,
                generation=generation,
                epoch=item.epoch,
                seed=0,
            )
            if identity in seen:
                continue  # the tool wrote the same attempt twice (e.g. before and after scoring)
            seen.add(identity)
            error = AttemptError(kind="imported_error", message=item.error) if item.error else None
            n_errors += error is not None
            handle.append_attempt(
                Attempt(
                    id=identity,
                    run_id=run_id,
                    behavior_id=item.behavior_id,
                    category=item.category,
                    expected=item.expected,
                    attack=item.attack,
                    attack_params=item.attack_params,
                    target=target,
                    epoch=item.epoch,
                    messages=item.messages,
                    response=None if error else item.response,
                    usage=item.usage,
                    latency_s=item.latency_s,
                    error=error,
                    tags=item.tags,
                )
            )
            for verdict in item.verdicts:
                handle.append_score(
                    Score(
                        attempt_id=identity,
                        scorer=verdict.scorer,
                        scorer_version=f"{source.tool}-{source.tool_version or 'unknown'}",
                        label=verdict.label,
                        value=clip_unit(verdict.value),
                        rationale=verdict.rationale,
                    )
                )
                scorers.add(verdict.scorer)
                n_scores += 1
        handle.update(counts=handle.record_counts())
    return ImportResult(
        run_id=run_id,
        path=handle.path,
        attempts=len(seen),
        scores=n_scores,
        errors=n_errors,
        scorers=tuple(sorted(scorers)),
        tool=source.tool,
        tool_version=source.tool_version,
    )
