"""Streaming log files into the monitoring store: read, score, embed, store, in batches.

Memory is bounded by the batch: lines are read one at a time and each batch is
scored, embedded and written before the next is read. The byte offset reached is
written with each batch (same transaction), so an interrupted ingest resumes where
it stopped; record keys make re-reading a file add nothing. Malformed lines are
skipped, stored as ``FILE:LINE: why`` and counted, never dropped silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from redline.core.errors import ConfigError
from redline.monitor.embeddings import Embedder
from redline.monitor.log_records import (
    ChatReader,
    FieldMap,
    LogFormat,
    MalformedRecord,
    RecordBatch,
    decode_json_line,
    looks_like_otel,
)
from redline.monitor.otel_spans import otel_records
from redline.monitor.record_scoring import RecordScorer
from redline.monitor.store import MonitorStore, SourcePosition

# Records scored and written together. DuckDB's insert into the keyed table costs
# ~60 us a record in batches of 512 and ~9 us in batches of 4,096 (one core).
DEFAULT_BATCH = 4096


@dataclass
class IngestResult:
    """What one ingest of one file did."""

    source: str
    read: int = 0
    added: int = 0
    problems: int = 0
    skipped_spans: int = 0
    resumed_from_line: int = 0
    line: int = 0
    seconds: float = 0.0
    first_problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "added": self.added,
            "problems": self.problems,
            "skipped_spans": self.skipped_spans,
            "resumed_from_line": self.resumed_from_line,
            "line": self.line,
            "seconds": round(self.seconds, 3),
            "first_problems": self.first_problems,
        }


@dataclass(frozen=True)
class IngestSettings:
    """How to read and score: formats, field map, batch size, the models."""

    scorer: RecordScorer
    embedder: Embedder | None
    fields: FieldMap = field(default_factory=lambda: FieldMap({}))
    log_format: LogFormat = "auto"
    batch_size: int = DEFAULT_BATCH


def _add_data(
    data: Any, line: int, settings: IngestSettings, reader: ChatReader, batch: RecordBatch
) -> int:
    """Adds a parsed line's records to ``batch``; returns the non-GenAI spans skipped."""
    if type(data) is not dict and not isinstance(data, Mapping):  # the ABC check is slow
        raise MalformedRecord(f"expected a JSON object, got {type(data).__name__}")
    if settings.log_format == "otel" or (settings.log_format == "auto" and looks_like_otel(data)):
        records, skipped = otel_records(data, line=line)
        for record in records:
            batch.add_record(record)
        return skipped
    reader.add(data, line=line, batch=batch)
    return 0


class _Batch:
    def __init__(self) -> None:
        self.records = RecordBatch()
        self.problems: list[tuple[int, str]] = []
        self.skipped_spans = 0


class LogIngest:
    """Ingests one log file into a store (see the module docstring)."""

    def __init__(self, path: Path, store: MonitorStore, settings: IngestSettings) -> None:
        if not path.exists():
            raise ConfigError(f"{path}: no such file")
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, expected a log file")
        self.path = path
        self.store = store
        self.settings = settings
        if settings.embedder is not None:
            store.claim_embedder(settings.embedder.name, settings.embedder.dimension)
        self.source = str(path.resolve())
        start = store.position(self.source)
        if start.byte_offset > path.stat().st_size:
            # Truncated or rotated: read it again from the top; keys keep it idempotent.
            start = SourcePosition()
        self.position = start
        self.result = IngestResult(source=str(path), resumed_from_line=start.line, line=start.line)

    def _missing_time(self, line: int, raw: bytes, error: MalformedRecord) -> ConfigError:
        column = self.settings.fields.column("timestamp")
        try:
            present = ", ".join(sorted(decode_json_line(raw))[:12])
        except (MalformedRecord, TypeError):
            present = "?"
        return ConfigError(
            f"{self.path}:{line}: {error} (the record has: {present}); "
            f"name the time column with --time-field"
            if str(error).startswith(f"{column}:")
            else f"{self.path}:{line}: {error}"
        )

    def _flush(self, batch: _Batch, offset: int, line: int) -> None:
        records = batch.records
        scored, vectors = self.settings.scorer.score_columns(
            records, source=self.source, embedder=self.settings.embedder
        )
        previous = self.position
        self.position = SourcePosition(
            byte_offset=offset,
            line=line,
            records=previous.records + len(records),
            problems=previous.problems + len(batch.problems),
            skipped_spans=previous.skipped_spans + batch.skipped_spans,
        )
        added = self.store.save_batch(self.source, scored, vectors, batch.problems, self.position)
        result = self.result
        result.read += len(records)
        result.added += added
        result.problems += len(batch.problems)
        result.skipped_spans += batch.skipped_spans
        result.line = line
        for number, message in batch.problems:
            if len(result.first_problems) < 10:
                result.first_problems.append(f"{self.path}:{number}: {message}")

    def run_once(
        self, *, follow: bool = False, on_batch: Callable[[IngestResult], None] | None = None
    ) -> int:
        """Read what the file holds now; returns the records read in this pass."""
        batch = _Batch()
        reader = ChatReader(self.settings.fields)
        offset, line = self.position.byte_offset, self.position.line
        before = self.result.read
        loads = orjson.loads
        with self.path.open("rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if follow and not raw.endswith(b"\n"):
                    break  # still being written: left for the next pass
                offset += len(raw)
                line += 1
                try:
                    try:
                        # Most lines parse as they are (JSON allows the trailing
                        # newline); only a line orjson refuses is stripped, checked
                        # for blankness and parsed again for its message.
                        data = loads(raw)
                    except orjson.JSONDecodeError:
                        raw = raw.rstrip(b"\r\n")
                        if not raw.strip():
                            continue
                        data = decode_json_line(raw)
                    batch.skipped_spans += _add_data(
                        data, line, self.settings, reader, batch.records
                    )
                except MalformedRecord as exc:
                    if self.position.records == 0 and not batch.records and "missing" in str(exc):
                        raise self._missing_time(line, raw.rstrip(b"\r\n"), exc) from None
                    batch.problems.append((line, str(exc)))
                    continue
                if len(batch.records) >= self.settings.batch_size:
                    self._flush(batch, offset, line)
                    batch = _Batch()
                    if on_batch is not None:
                        on_batch(self.result)
        if batch.records or batch.problems or offset != self.position.byte_offset:
            self._flush(batch, offset, line)
            if on_batch is not None:
                on_batch(self.result)
        return self.result.read - before


def ingest_file(
    path: Path,
    store: MonitorStore,
    settings: IngestSettings,
    *,
    on_batch: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Ingest ``path`` once (from where an earlier ingest stopped)."""
    started = time.perf_counter()
    job = LogIngest(path, store, settings)
    job.run_once(on_batch=on_batch)
    job.result.seconds = time.perf_counter() - started
    return job.result


def follow_file(
    path: Path,
    store: MonitorStore,
    settings: IngestSettings,
    *,
    should_stop: Callable[[], bool],
    wait: Callable[[], None],
    on_batch: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Tail ``path`` as it grows until ``should_stop()``; ``wait()`` runs between passes
    that found nothing new (the CLI sleeps; a test can wait on an event)."""
    started = time.perf_counter()
    job = LogIngest(path, store, settings)
    while not should_stop():
        if job.path.stat().st_size < job.position.byte_offset:
            job.position = SourcePosition()  # rotated: start again, keys dedupe
        if job.run_once(follow=True, on_batch=on_batch) == 0:
            wait()
    job.result.seconds = time.perf_counter() - started
    return job.result
