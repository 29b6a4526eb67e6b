"""Run directories: ``run.json`` plus append-only ``attempts.jsonl`` and ``scores.jsonl``."""

from __future__ import annotations

import asyncio
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from redline.core import Attempt, ConfigError, RunInfo, Score, utc_now
from redline.core.records import RunStatus
from redline.store.images import IMAGES_DIR, ImageStore
from redline.store.jsonl import JsonlAppender, iter_jsonl, iter_jsonl_raw
from redline.store.run_id import default_runs_dir
from redline.store.stored_records import StoredRecords, describe_validation_error

RUN_FILE = "run.json"
ATTEMPTS_FILE = "attempts.jsonl"
SCORES_FILE = "scores.jsonl"

RecordT = TypeVar("RecordT", bound=BaseModel)


def _attempt_key(value: dict[str, Any]) -> Any:
    return value.get("id")


def _score_key(value: dict[str, Any]) -> Any:
    return (value.get("attempt_id"), value.get("scorer"))


class RecordListener(Protocol):
    """Told of each record a :class:`RunHandle` appends, with the bytes its line took
    (the line and its newline): what a reader that follows a run as it is written
    needs to index the files without reading them back."""

    def attempt_written(self, attempt: Attempt, size: int) -> None: ...

    def score_written(self, score: Score, size: int) -> None: ...


def _line_size(line: str) -> int:
    """The bytes ``line`` and its newline take in a UTF-8 file."""
    return (len(line) if line.isascii() else len(line.encode("utf-8"))) + 1


def write_json_atomic(path: Path, payload: str) -> None:
    """Write ``path`` so a reader sees the old content or the new, never half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(payload, encoding="utf-8")
    os.replace(tmp, path)


def read_run_info(path: Path) -> RunInfo:
    """Parse a ``run.json``; a broken one is a :class:`ConfigError` naming the file."""
    try:
        return RunInfo.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from exc


class RunHandle:
    """One run directory, open for reading and appending.

    Appends are flushed to the OS per record, or, inside a running event loop,
    once per loop iteration for all the records that iteration wrote: a run
    sending thousands of requests a second then makes one flush per tick
    instead of one per line. Either way a crash loses only records not yet
    flushed, which a resumed run sends again (they were never recorded).
    Attempts are flushed before scores, so a score on disk always has its
    attempt on disk. Reads flush first, so a handle sees its own writes. The
    files are opened for append only on the first write: reading a run
    another process is still writing never touches its files.
    """

    def __init__(self, path: Path, info: RunInfo) -> None:
        self.path = path
        self.info = info
        self._attempts = JsonlAppender(self.attempts_path)
        self._scores = JsonlAppender(self.scores_path)
        self._flush_loop: asyncio.AbstractEventLoop | None = None
        self._attempts_buffered = False
        self.images = ImageStore(path / IMAGES_DIR)
        self._listeners: list[RecordListener] = []

    def listen(self, listener: RecordListener) -> None:
        """Tell ``listener`` of every attempt and score this handle appends from now on."""
        self._listeners.append(listener)

    def file_sizes(self) -> tuple[int, int]:
        """The bytes in the attempts and scores files (0 for a file not written yet),
        after handing this handle's buffered records to the OS."""
        self.flush()
        return _size(self.attempts_path), _size(self.scores_path)

    def _written(self) -> None:
        """Flush now, or at the end of this event-loop iteration when in one."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        # Keyed by loop: a flush scheduled in a loop that then stopped never ran,
        # and must not stop the next loop from scheduling its own.
        if self._flush_loop is not loop:
            self._flush_loop = loop
            loop.call_soon(self.flush)

    def flush(self) -> None:
        """Hand every buffered record to the OS, attempts first."""
        self._flush_loop = None
        self._attempts.flush()
        self._attempts_buffered = False
        self._scores.flush()

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def info_path(self) -> Path:
        return self.path / RUN_FILE

    @property
    def attempts_path(self) -> Path:
        return self.path / ATTEMPTS_FILE

    @property
    def scores_path(self) -> Path:
        return self.path / SCORES_FILE

    def append_attempt(self, attempt: Attempt) -> None:
        """Record an attempt (a later record with the same id replaces it on read).

        Images sent with it go to the run's image store first, so a recorded
        attempt never names an image the run does not have.
        """
        self.images.put_messages(attempt.messages)
        line = attempt.model_dump_json()
        self._attempts.write_line(line, flush=False)
        self._attempts_buffered = True
        self._written()
        if self._listeners:
            size = _line_size(line)
            for listener in self._listeners:
                listener.attempt_written(attempt, size)

    def append_score(self, score: Score) -> None:
        """Record a score (a later one for the same attempt and scorer replaces it)."""
        if self._attempts_buffered:
            # The scores file's buffer may reach the OS on its own when it fills;
            # the attempts written before this score must be there first.
            self._attempts.flush()
            self._attempts_buffered = False
        line = score.model_dump_json()
        self._scores.write_line(line, flush=False)
        self._written()
        if self._listeners:
            size = _line_size(line)
            for listener in self._listeners:
                listener.score_written(score, size)

    def _read(self, path: Path, model: type[RecordT], key: Any) -> list[RecordT]:
        self.flush()
        # Each key's latest line is kept as bytes (a fraction of the parsed
        # dict's memory) and validated from JSON once the file has been read.
        latest: dict[Any, tuple[int, bytes]] = {}
        for number, raw, value in iter_jsonl_raw(path):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}:{number}: expected a JSON object")
            latest[key(value)] = (number, raw)
        records = []
        for number, raw in latest.values():
            try:
                records.append(model.model_validate_json(raw))
            except ValidationError as exc:
                raise ConfigError(f"{path}:{number}: {describe_validation_error(exc)}") from exc
        return records

    def read_attempts(self) -> list[Attempt]:
        """Every attempt, deduplicated by id (the last record wins), in first-seen order."""
        return self._read(self.attempts_path, Attempt, _attempt_key)

    def read_scores(self) -> list[Score]:
        """Every score, deduplicated by (attempt id, scorer), the last record winning."""
        return self._read(self.scores_path, Score, _score_key)

    def stored_attempts(self) -> StoredRecords[Attempt]:
        """:meth:`read_attempts` streamed: a re-iterable collection that parses one
        attempt at a time from disk (for summarising and reporting big runs).
        Its ``flagged`` is the number of attempts whose latest record has an error."""
        self.flush()
        return StoredRecords(
            self.attempts_path, Attempt, _attempt_key, flag=lambda v: v.get("error") is not None
        )

    def stored_scores(self) -> StoredRecords[Score]:
        """:meth:`read_scores` streamed, like :meth:`stored_attempts`."""
        self.flush()
        return StoredRecords(self.scores_path, Score, _score_key)

    def completed_attempt_ids(self) -> set[str]:
        """Ids whose latest record has no error; errored attempts are retried on resume."""
        self.flush()
        latest: dict[str, bool] = {}
        for _, value in iter_jsonl(self.attempts_path):
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                latest[value["id"]] = value.get("error") is None
        return {attempt_id for attempt_id, ok in latest.items() if ok}

    def record_counts(self) -> dict[str, int]:
        """Attempts (unique), how many have errors, and scores, read from the files."""
        self.flush()
        errored: dict[str, bool] = {}
        for _, value in iter_jsonl(self.attempts_path):
            if isinstance(value, dict):
                errored[str(value.get("id"))] = value.get("error") is not None
        scores = {
            (value.get("attempt_id"), value.get("scorer"))
            for _, value in iter_jsonl(self.scores_path)
            if isinstance(value, dict)
        }
        return {
            "attempts": len(errored),
            "errors": sum(errored.values()),
            "scores": len(scores),
        }

    def update(
        self,
        *,
        status: RunStatus | None = None,
        counts: Mapping[str, int] | None = None,
        engine_stats: BaseModel | Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> RunInfo:
        """Change the run's status, counts, engine stats or config and rewrite run.json."""
        update: dict[str, Any] = {"updated_at": utc_now()}
        if status is not None:
            update["status"] = status
        if counts is not None:
            update["counts"] = dict(counts)
        if engine_stats is not None:
            update["engine_stats"] = (
                engine_stats.model_dump(mode="json")
                if isinstance(engine_stats, BaseModel)
                else dict(engine_stats)
            )
        if config is not None:
            update["config"] = dict(config)
        # Validate through the model so a bad status is refused here, not on read.
        self.info = RunInfo.model_validate({**self.info.model_dump(), **update})
        write_json_atomic(self.info_path, self.info.model_dump_json(indent=2))
        return self.info

    def close(self) -> None:
        """Close the append files (the run can be reopened later)."""
        self.flush()
        self._attempts.close()
        self._scores.close()

    def __enter__(self) -> RunHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class RunStore:
    """All runs under one root directory, one sub-directory per run id."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_runs_dir()

    def _run_dir(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or "\\" in run_id or run_id in {".", ".."}:
            raise ConfigError(f"invalid run id {run_id!r}")
        return self.root / run_id

    def ids(self) -> list[str]:
        """Ids of every run directory (with a run.json), sorted oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{RUN_FILE}"))

    def create(self, info: RunInfo) -> RunHandle:
        """Make the run directory and write run.json; the id must be new."""
        path = self._run_dir(info.id)
        try:
            path.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise ConfigError(f"run {info.id} already exists in {self.root}") from None
        write_json_atomic(path / RUN_FILE, info.model_dump_json(indent=2))
        return RunHandle(path, info)

    def open(self, run_id: str) -> RunHandle:
        """Open a run by id or unique id prefix; an unknown id lists the nearest ones."""
        path = self._run_dir(run_id)
        if not (path / RUN_FILE).is_file():
            ids = self.ids()
            matches = [i for i in ids if i.startswith(run_id)]
            if len(matches) == 1:
                path = self.root / matches[0]
            else:
                raise ConfigError(self._unknown(run_id, ids, matches))
        return RunHandle(path, read_run_info(path / RUN_FILE))

    def _unknown(self, run_id: str, ids: list[str], prefixed: list[str]) -> str:
        if len(prefixed) > 1:
            return f"run id prefix {run_id!r} is ambiguous in {self.root}: " + ", ".join(
                prefixed[-5:]
            )
        if not ids:
            return f"no run {run_id!r}: {self.root} has no runs"
        near = difflib.get_close_matches(run_id, ids, n=3, cutoff=0.5) or ids[-3:][::-1]
        return f"no run {run_id!r} in {self.root}; nearest: {', '.join(near)}"

    def list(self) -> list[RunInfo]:
        """Every run's info, newest first."""
        infos = [read_run_info(self.root / run_id / RUN_FILE) for run_id in self.ids()]
        infos.sort(key=lambda info: (info.created_at, info.id), reverse=True)
        return infos

    def find(self, config_hash: str) -> RunInfo | None:
        """The newest run whose ``config["config_hash"]`` is ``config_hash``."""
        for info in self.list():
            if info.config.get("config_hash") == config_hash:
                return info
        return None
