"""The monitoring store: one DuckDB file with the scored records and what was found in them.

Tables:

- ``records``: one row per model call, keyed by :func:`record_key` (re-ingesting a
  file inserts nothing twice), with the guard's input and output actions and
  categories, the refusal label, the over-refusal proxy and the embedding.
- ``sources``: per log file, the byte offset and line reached; written in the same
  transaction as the batch it covers, so an interrupted ingest resumes exactly there.
- ``problems``: every malformed line, ``FILE:LINE`` and why.
- ``audits``: with ``--scoring screen``, the records of the audit sample: per side,
  the screen's labels and the full guard's, keyed like ``records``.
- ``clusters`` and ``cluster_members``: the new clusters anomaly detection found.
- ``settings``: what the store's contents depend on, e.g. the embedder that wrote the
  embeddings (vectors of two embedders cannot be compared).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from redline.core.errors import ConfigError
from redline.monitor.log_records import datetime_micros, micros_datetime

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key VARCHAR PRIMARY KEY,
    ts TIMESTAMP NOT NULL,
    source VARCHAR,
    line BIGINT,
    model VARCHAR,
    prompt VARCHAR,
    response VARCHAR,
    input_action VARCHAR,
    output_action VARCHAR,
    input_categories VARCHAR[],
    output_categories VARCHAR[],
    refusal VARCHAR,
    over_refusal BOOLEAN,
    embedding FLOAT[]
);
CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR PRIMARY KEY,
    byte_offset BIGINT,
    line BIGINT,
    records BIGINT,
    problems BIGINT,
    skipped_spans BIGINT,
    updated TIMESTAMP
);
CREATE TABLE IF NOT EXISTS problems (source VARCHAR, line BIGINT, message VARCHAR);
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY,
    found_at TIMESTAMP,
    window_start TIMESTAMP,
    window_end TIMESTAMP,
    size INTEGER,
    top_terms VARCHAR[],
    examples VARCHAR[],
    categories VARCHAR,
    first_seen TIMESTAMP,
    last_seen TIMESTAMP
);
CREATE TABLE IF NOT EXISTS cluster_members (cluster_id INTEGER, key VARCHAR);
CREATE TABLE IF NOT EXISTS settings (name VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS audits (
    key VARCHAR,
    side VARCHAR,
    ts TIMESTAMP NOT NULL,
    screen_action VARCHAR,
    screen_categories VARCHAR[],
    guard_action VARCHAR,
    guard_categories VARCHAR[],
    PRIMARY KEY (key, side)
);
"""


@dataclass(frozen=True, slots=True)
class ScoredRecord:
    """A log record with what the guard and the refusal scorer made of it."""

    key: str
    timestamp: datetime
    source: str
    line: int
    model: str
    prompt: str
    response: str
    input_action: str
    output_action: str
    input_categories: list[str]
    output_categories: list[str]
    refusal: str
    over_refusal: bool


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One side of an audited record: what the screen said and what the guard said."""

    key: str
    side: str
    micros: int
    screen_action: str
    screen_categories: list[str]
    guard_action: str
    guard_categories: list[str]


@dataclass
class ScoredBatch:
    """Scored records column by column (what ingest writes; no object per record).
    ``micros``: UTC microseconds since the epoch."""

    source: str
    keys: list[str]
    micros: list[int]
    lines: list[int]
    models: list[str]
    prompts: list[str]
    responses: list[str]
    input_actions: list[str]
    output_actions: list[str]
    input_categories: list[list[str]]
    output_categories: list[list[str]]
    refusals: list[str]
    over_refusals: list[bool]
    audits: list[AuditRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def of_records(cls, records: Sequence[ScoredRecord]) -> ScoredBatch:
        return cls(
            source=records[0].source if records else "",
            keys=[r.key for r in records],
            micros=[datetime_micros(r.timestamp) for r in records],
            lines=[r.line for r in records],
            models=[r.model for r in records],
            prompts=[r.prompt for r in records],
            responses=[r.response for r in records],
            input_actions=[r.input_action for r in records],
            output_actions=[r.output_action for r in records],
            input_categories=[r.input_categories for r in records],
            output_categories=[r.output_categories for r in records],
            refusals=[r.refusal for r in records],
            over_refusals=[r.over_refusal for r in records],
        )

    def records(self) -> list[ScoredRecord]:
        return [
            ScoredRecord(
                key=self.keys[i],
                timestamp=micros_datetime(self.micros[i]),
                source=self.source,
                line=self.lines[i],
                model=self.models[i],
                prompt=self.prompts[i],
                response=self.responses[i],
                input_action=self.input_actions[i],
                output_action=self.output_actions[i],
                input_categories=self.input_categories[i],
                output_categories=self.output_categories[i],
                refusal=self.refusals[i],
                over_refusal=self.over_refusals[i],
            )
            for i in range(len(self.keys))
        ]


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """How far a log file has been read."""

    byte_offset: int = 0
    line: int = 0
    records: int = 0
    problems: int = 0
    skipped_spans: int = 0


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """A cluster as stored (see :mod:`redline.monitor.clusters` for how it is found)."""

    id: int
    found_at: datetime
    window_start: datetime
    window_end: datetime
    size: int
    top_terms: list[str]
    examples: list[str]
    categories: dict[str, int]
    first_seen: datetime
    last_seen: datetime


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store has table ``name``: one written before the table existed
    lacks it when opened read-only (the schema is created only on a writable open)."""
    # fetchall, not fetchone: DuckDB refuses further work on a connection with an
    # unread result.
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(found and found[0][0])


def _naive_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def stored_setting(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """A value of the store's ``settings`` table (None: not recorded)."""
    if not has_table(con, "settings"):
        return None
    rows = con.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchall()
    return str(rows[0][0]) if rows else None


def stored_embedder(con: duckdb.DuckDBPyConnection) -> str | None:
    """The name of the embedder that wrote the store's vectors (None: not recorded,
    a store from before the ``settings`` table or one without embeddings)."""
    claimed = stored_setting(con, "embedder")
    return None if claimed is None else claimed.rpartition(":")[0]


def embeddings_between(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    *,
    limit: int | None = None,
    sample: bool = False,
) -> tuple[list[str], np.ndarray]:
    """Keys and embeddings of records with ``start <= ts < end``: oldest first, the
    oldest ``limit`` of them; with ``sample``, ``limit`` records picked by a hash of
    their key (the same ones on every call), in that hash's order."""
    order = "hash(key), key" if sample else "ts, key"
    sql = (
        "SELECT key, embedding FROM records WHERE ts >= ? AND ts < ? "
        f"AND embedding IS NOT NULL ORDER BY {order}"
    )
    params: list[Any] = [_naive_utc(start), _naive_utc(end)]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    table = con.sql(sql, params=params).to_arrow_table()
    keys = table.column("key").to_pylist()
    if not keys:
        return [], np.zeros((0, 0), dtype=np.float32)
    flat = table.column("embedding").combine_chunks().flatten().to_numpy()
    return keys, flat.astype(np.float32).reshape(len(keys), -1)


def usable_cores() -> int:
    """The cores this process may run on. DuckDB sizes its thread pool by the
    machine's cores: a process pinned to one core (taskset, a cpuset) then runs two
    threads on it, and a batch's insert and commit cost ~2 us a record more
    (docs/benchmarks.md, "The audit sample's cost")."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class MonitorStore:
    """A DuckDB monitoring store (created on first use). Use as a context manager."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise ConfigError(
                f"{self.path}: no monitoring store here (run `redline monitor ingest`)"
            )
        try:
            self.con = duckdb.connect(
                str(self.path), read_only=read_only, config={"threads": usable_cores()}
            )
        except duckdb.Error as exc:
            raise ConfigError(f"{self.path}: cannot open the monitoring store: {exc}") from None
        if not read_only:
            self.con.execute(_SCHEMA).fetchall()

    def for_thread(self) -> MonitorStore:
        """The same store through a new cursor, for use on another thread (DuckDB
        connections are not shared across threads; one process writes a file)."""
        other = MonitorStore.__new__(MonitorStore)
        other.path, other.con = self.path, self.con.cursor()
        return other

    def __enter__(self) -> MonitorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.begin()
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def embedder(self) -> str | None:
        """The name of the embedder that wrote this store's vectors (None: not recorded,
        a store from before the ``settings`` table or one without embeddings)."""
        return stored_embedder(self.con)

    def claim_embedder(self, name: str, dimension: int) -> None:
        """Record that ``name`` writes this store's embeddings, or raise ConfigError when
        they come from another embedder: novelty, drift and clusters compare vectors,
        and vectors of two embedders mean nothing side by side."""
        claimed = f"{name}:{dimension}"
        held_claim = stored_setting(self.con, "embedder")
        if held_claim is None:
            # A store from before this table: its vectors' length is all there is to check.
            found = self.con.execute(
                "SELECT len(embedding) FROM records WHERE embedding IS NOT NULL LIMIT 1"
            ).fetchone()
            if found is not None and found[0] != dimension:
                raise ConfigError(
                    f"{self.path}: its embeddings have {found[0]} dimensions, the {name} "
                    f"embedder writes {dimension}; ingest into a new store, or use the "
                    "embedder that wrote them (--embedder)"
                )
            self._run("INSERT INTO settings VALUES ('embedder', ?)", [claimed])
            return
        if held_claim != claimed:
            held, _, dims = held_claim.rpartition(":")
            raise ConfigError(
                f"{self.path}: its embeddings come from the {held} embedder ({dims} dimensions), "
                f"not {name} ({dimension}); vectors of two embedders cannot be compared: "
                f"use --embedder {held}, or ingest into a new store"
            )

    def _run(self, sql: str, params: list[Any] | None = None) -> None:
        # DuckDB refuses further work on a connection with an unread result.
        self.con.execute(sql, params).fetchall()

    # ---- ingest -------------------------------------------------------------------

    def position(self, source: str) -> SourcePosition:
        row = self.con.execute(
            "SELECT byte_offset, line, records, problems, skipped_spans FROM sources "
            "WHERE source = ?",
            [source],
        ).fetchall()
        return SourcePosition(*row[0]) if row else SourcePosition()

    def save_batch(
        self,
        source: str,
        records: Sequence[ScoredRecord] | ScoredBatch,
        embeddings: np.ndarray | None,
        problems: Sequence[tuple[int, str]],
        position: SourcePosition,
    ) -> int:
        """Insert a batch (and its audit rows) and move the source's position,
        atomically; returns the records added (a record whose key is stored already
        is not added again).

        The batch is first written with plain ``INSERT``s: the primary keys still
        refuse a stored key, and a batch of new records (the usual case) skips the
        ``INSERT OR IGNORE`` conflict handling, which costs ~6 us a record and a few
        milliseconds a statement (docs/benchmarks.md, "The audit sample's cost").
        When a key is stored already (a copy of a file, a rotated or rewritten
        file, an id repeated across batches) the transaction is rolled back and
        written again with ``INSERT OR IGNORE``.
        """
        batch = records if isinstance(records, ScoredBatch) else ScoredBatch.of_records(records)
        tables = _BatchTables.of(batch, embeddings)
        # The views outlive a rolled-back transaction (an aborted one refuses even
        # an unregister), so they are registered around both tries.
        views = {name: table for name, table in tables.views() if table is not None}
        for name, table in views.items():
            self.con.register(name, table)
        try:
            try:
                with self.transaction():
                    return self._write_batch(source, tables, problems, position, skip_stored=False)
            except duckdb.ConstraintException:
                with self.transaction():
                    return self._write_batch(source, tables, problems, position, skip_stored=True)
        finally:
            for name in views:
                self.con.unregister(name)

    def _write_batch(
        self,
        source: str,
        tables: _BatchTables,
        problems: Sequence[tuple[int, str]],
        position: SourcePosition,
        *,
        skip_stored: bool,
    ) -> int:
        insert = "INSERT OR IGNORE INTO" if skip_stored else "INSERT INTO"
        added = 0
        if tables.audits is not None:
            self._run(f"{insert} audits SELECT * FROM audited")
        if tables.records is not None:
            # DuckDB answers an INSERT with the number of rows it inserted (the
            # ignored duplicates not counted): no count(*) before and after.
            inserted = self.con.execute(f"{insert} records SELECT * FROM incoming").fetchall()
            added = int(inserted[0][0]) if inserted else 0
        if problems:
            self.con.executemany(
                "INSERT INTO problems VALUES (?, ?, ?)",
                [(source, line, message) for line, message in problems],
            )
        self._move_position(source, position)
        return added

    def _move_position(self, source: str, position: SourcePosition) -> None:
        # UPDATE, and INSERT when the source is new: an upsert (INSERT OR REPLACE)
        # costs ~5 ms a statement more in DuckDB 2.0, once per batch.
        values = [
            position.byte_offset,
            position.line,
            position.records,
            position.problems,
            position.skipped_spans,
        ]
        updated = self.con.execute(
            "UPDATE sources SET byte_offset = ?, line = ?, records = ?, problems = ?, "
            "skipped_spans = ?, updated = now()::TIMESTAMP WHERE source = ?",
            [*values, source],
        ).fetchall()
        if not updated or not updated[0][0]:
            self._run(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [source, *values],
            )

    def count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM records").fetchall()
        return int(row[0][0]) if row else 0

    def problems(self, limit: int = 20) -> list[tuple[str, int, str]]:
        rows = self.con.execute(
            "SELECT source, line, message FROM problems ORDER BY source, line LIMIT ?", [limit]
        ).fetchall()
        return [(str(s), int(n), str(m)) for s, n, m in rows]

    def problem_count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM problems").fetchall()
        return int(row[0][0]) if row else 0

    def time_range(self) -> tuple[datetime, datetime] | None:
        row = self.con.execute("SELECT min(ts), max(ts) FROM records").fetchall()
        if not row or row[0][0] is None:
            return None
        return row[0][0], row[0][1]

    def embeddings_between(
        self, start: datetime, end: datetime, *, limit: int | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Keys and embeddings of records with ``start <= ts < end`` (oldest first)."""
        return embeddings_between(self.con, start, end, limit=limit)

    def records_by_key(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Rows (as mappings, without embeddings) for ``keys``, in ``keys`` order."""
        if not keys:
            return []
        cursor = self.con.execute(
            "SELECT key, ts, model, prompt, response, input_action, output_action, "
            "input_categories, output_categories, refusal FROM records "
            "WHERE key IN (SELECT unnest(?))",
            [list(keys)],
        )
        names = [d[0] for d in cursor.description]
        by_key = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        return [by_key[k] for k in keys if k in by_key]

    # ---- clusters ---------------------------------------------------------------------

    def add_cluster(self, cluster: ClusterRow, keys: Sequence[str]) -> int:
        """Store a cluster under the next free id (the id in ``cluster`` is ignored)."""
        with self.transaction():
            row = self.con.execute("SELECT coalesce(max(id), 0) + 1 FROM clusters").fetchall()
            cluster_id = int(row[0][0]) if row else 1
            self._run(
                "INSERT INTO clusters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    cluster_id,
                    _naive_utc(cluster.found_at),
                    _naive_utc(cluster.window_start),
                    _naive_utc(cluster.window_end),
                    cluster.size,
                    cluster.top_terms,
                    cluster.examples,
                    json.dumps(cluster.categories, sort_keys=True),
                    _naive_utc(cluster.first_seen),
                    _naive_utc(cluster.last_seen),
                ],
            )
            self.con.executemany(
                "INSERT INTO cluster_members VALUES (?, ?)", [(cluster_id, k) for k in keys]
            )
        return cluster_id

    def clusters(self) -> list[ClusterRow]:
        rows = self.con.execute("SELECT * FROM clusters ORDER BY id").fetchall()
        return [
            ClusterRow(
                id=r[0],
                found_at=r[1],
                window_start=r[2],
                window_end=r[3],
                size=r[4],
                top_terms=list(r[5]),
                examples=list(r[6]),
                categories=json.loads(r[7]),
                first_seen=r[8],
                last_seen=r[9],
            )
            for r in rows
        ]

    def cluster_keys(self, cluster_id: int) -> list[str]:
        rows = self.con.execute(
            "SELECT key FROM cluster_members WHERE cluster_id = ? ORDER BY key", [cluster_id]
        ).fetchall()
        if not rows:
            known = [c.id for c in self.clusters()]
            listed = ", ".join(map(str, known)) or "none yet; run `redline monitor anomalies`"
            raise ConfigError(f"no cluster {cluster_id} in {self.path} (clusters: {listed})")
        return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class _BatchTables:
    """A batch's Arrow tables, built once (a rolled-back write reuses them)."""

    records: pa.Table | None
    audits: pa.Table | None

    @classmethod
    def of(cls, batch: ScoredBatch, embeddings: np.ndarray | None) -> _BatchTables:
        return cls(
            records=_arrow_batch(batch, embeddings) if len(batch) else None,
            audits=_arrow_audits(batch.audits) if batch.audits else None,
        )

    def views(self) -> tuple[tuple[str, pa.Table | None], ...]:
        """The names the write's SQL reads each table by."""
        return (("incoming", self.records), ("audited", self.audits))


def _timestamps(micros: list[int]) -> pa.Array:
    return pa.array(np.asarray(micros, dtype=np.int64)).cast(pa.timestamp("us"))


_CATEGORIES = pa.list_(pa.string())


def _arrow_audits(rows: Sequence[AuditRow]) -> pa.Table:
    return pa.table(
        {
            "key": [r.key for r in rows],
            "side": [r.side for r in rows],
            "ts": _timestamps([r.micros for r in rows]),
            "screen_action": [r.screen_action for r in rows],
            "screen_categories": pa.array([r.screen_categories for r in rows], _CATEGORIES),
            "guard_action": [r.guard_action for r in rows],
            "guard_categories": pa.array([r.guard_categories for r in rows], _CATEGORIES),
        }
    )


def _arrow_batch(batch: ScoredBatch, embeddings: np.ndarray | None) -> pa.Table:
    count = len(batch)
    columns: dict[str, Any] = {
        "key": pa.array(batch.keys, pa.string()),
        "ts": _timestamps(batch.micros),
        # One value repeated: a dictionary column costs nothing per record.
        "source": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(count, dtype=np.int32)), pa.array([batch.source])
        ),
        "line": pa.array(batch.lines, pa.int64()),
        "model": pa.array(batch.models, pa.string()),
        "prompt": pa.array(batch.prompts, pa.string()),
        "response": pa.array(batch.responses, pa.string()),
        "input_action": pa.array(batch.input_actions, pa.string()),
        "output_action": pa.array(batch.output_actions, pa.string()),
        "input_categories": pa.array(batch.input_categories, _CATEGORIES),
        "output_categories": pa.array(batch.output_categories, _CATEGORIES),
        "refusal": pa.array(batch.refusals, pa.string()),
        "over_refusal": pa.array(batch.over_refusals, pa.bool_()),
    }
    if embeddings is None:
        columns["embedding"] = pa.nulls(count, pa.list_(pa.float32()))
    else:
        flat = pa.array(np.ascontiguousarray(embeddings, dtype=np.float32).ravel())
        columns["embedding"] = pa.ListArray.from_arrays(
            pa.array(np.arange(0, flat.__len__() + 1, embeddings.shape[1], dtype=np.int32)), flat
        )
    return pa.table(columns)
