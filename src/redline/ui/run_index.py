"""A per-run DuckDB index, so a run page opens in well under a second at 100,000 attempts.

Built once per run from its JSONL files (``read_attempts``/``read_scores``, the
run's summary and each attempt's verdict as the report computes them) into one
DuckDB file in the cache directory; rebuilt when the run's files change (their
sizes and modification times are the stamp). Pages then ask SQL for one page of
rows with filters, never re-reading the JSONL files.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from redline.analysis import summarize_run
from redline.analysis.summary import AttemptJudge
from redline.annotation.disagreement import labels_by_attempt, scorers_disagree
from redline.core import ConfigError
from redline.report.attack_charts import attack_charts
from redline.report.html import outcome, summary_charts
from redline.store import RunHandle

INDEX_VERSION = 1
PAGE_SIZE = 50
_COLUMN_TYPES = {
    "ord": "INTEGER", "id": "VARCHAR", "behavior": "VARCHAR", "category": "VARCHAR",
    "attack": "VARCHAR", "epoch": "INTEGER", "expected": "VARCHAR", "label": "VARCHAR",
    "scorer": "VARCHAR", "outcome": "VARCHAR", "error_kind": "VARCHAR", "disagree": "BOOLEAN",
    "prompt": "VARCHAR", "response": "VARCHAR", "search": "VARCHAR", "attempt": "VARCHAR",
    "scores": "VARCHAR",
}  # fmt: skip
_COLUMNS = "{" + ", ".join(f"{k}: '{v}'" for k, v in _COLUMN_TYPES.items()) + "}"
# Columns a page may filter on, and the query parameter naming each.
FILTERS = {
    "category": "category",
    "attack": "attack",
    "label": "label",
    "outcome": "outcome",
    "error": "error_kind",
}


def run_stamp(handle: RunHandle) -> str:
    """Sizes and modification times of the run's records: changes when they do (not
    when run.json does: a rename must not rebuild the index)."""
    parts = [str(INDEX_VERSION)]
    for path in (handle.attempts_path, handle.scores_path):
        try:
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{path.name}:-")
    return "|".join(parts)


@dataclass
class TranscriptQuery:
    """What a run page asks for: filters, a text search, and a page."""

    category: str | None = None
    attack: str | None = None
    label: str | None = None
    outcome: str | None = None
    error: str | None = None
    disagree: bool = False
    text: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE
    extra: dict[str, str] = field(default_factory=dict)

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for name, column in FILTERS.items():
            value = getattr(self, name)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.disagree:
            clauses.append("disagree")
        if self.text:
            # Case-insensitive substring over prompt and response.
            clauses.append("contains(search, ?)")
            params.append(self.text.lower())
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class RunIndex:
    """The open index of one run (read-only DuckDB connection)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = duckdb.connect(str(path), read_only=True)
        self._lock = threading.Lock()
        meta = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
        self.stamp: str = meta["stamp"]
        self.summary: dict[str, Any] = json.loads(meta["summary"])
        self.charts: list[dict[str, str]] = json.loads(meta["charts"])
        self.facets: dict[str, list[str]] = json.loads(meta["facets"])
        self.scorers: list[str] = json.loads(meta["scorers"])

    def _fetch(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        # A DuckDB connection is not for concurrent use; pages come on several threads.
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    def page(self, query: TranscriptQuery) -> tuple[int, list[dict[str, Any]]]:
        """The total matching ``query``, and the rows of its page, in review order."""
        where, params = query.where()
        (total,) = self._fetch(f"SELECT count(*) FROM transcripts{where}", params)[0]
        offset = max(0, query.page - 1) * query.page_size
        columns = (
            "SELECT id, behavior, category, attack, epoch, expected, label, scorer, outcome, "
            "error_kind, disagree, left(prompt, 200), left(response, 200) FROM transcripts"
        )
        if where:
            rows = self._fetch(
                f"{columns}{where} ORDER BY ord LIMIT ? OFFSET ?",
                [*params, query.page_size, offset],
            )
        else:
            # ord numbers the rows 0..n-1 in review order: a range, not a sort past the offset.
            rows = self._fetch(
                f"{columns} WHERE ord >= ? AND ord < ? ORDER BY ord",
                [offset, offset + query.page_size],
            )
        keys = ("id", "behavior", "category", "attack", "epoch", "expected", "label", "scorer",
                "outcome", "error_kind", "disagree", "prompt", "response")  # fmt: skip
        return int(total), [dict(zip(keys, row, strict=True)) for row in rows]

    def record(self, attempt_id: str) -> dict[str, Any] | None:
        """One attempt with its scores and verdict, or None."""
        rows = self._fetch(
            "SELECT attempt, scores, label, scorer, outcome, disagree FROM transcripts "
            "WHERE id = ?",
            [attempt_id],
        )
        if not rows:
            return None
        attempt, scores, label, scorer, kind, disagree = rows[0]
        return {
            "attempt": json.loads(attempt),
            "scores": json.loads(scores),
            "label": label,
            "scorer": scorer,
            "outcome": kind,
            "disagree": disagree,
        }

    def siblings(self, behavior: str, attempt_id: str) -> list[dict[str, Any]]:
        """The same behaviour's other attempts (other epochs and attacks)."""
        rows = self._fetch(
            "SELECT id, attack, epoch, label, outcome FROM transcripts "
            "WHERE behavior = ? AND id <> ? ORDER BY attack, epoch",
            [behavior, attempt_id],
        )
        return [
            dict(zip(("id", "attack", "epoch", "label", "outcome"), r, strict=True)) for r in rows
        ]

    def outcomes(self) -> dict[tuple[str, str, int], tuple[str, str, str]]:
        """(behaviour, attack, epoch) -> (attempt id, outcome, prompt), for comparing runs."""
        rows = self._fetch(
            "SELECT behavior, attack, epoch, id, outcome, left(prompt, 200) FROM transcripts"
        )
        return {(b, a, e): (i, o, p) for b, a, e, i, o, p in rows}

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _rows(handle: RunHandle) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    info = handle.info
    attempts = handle.read_attempts()
    scores = handle.read_scores()
    summary = summarize_run(info, attempts, scores)
    judge = AttemptJudge.for_summary(summary, scores)
    labels = labels_by_attempt(scores)
    by_attempt: dict[str, list[str]] = {}
    for score in scores:
        # pydantic's own JSON encoder: several times faster than json.dumps of a dump.
        by_attempt.setdefault(score.attempt_id, []).append(
            score.model_dump_json(exclude={"schema_version", "attempt_id"})
        )
    rows = []
    for attempt in attempts:
        verdict = judge.verdict(attempt)
        label = "error" if attempt.error is not None else (verdict.label or "unscored")
        kind = outcome(attempt, verdict) if attempt.error is None else "error"
        prompt = next((m.content for m in reversed(attempt.messages) if m.role == "user"), "")
        response = attempt.response or ""
        rows.append(
            {
                "id": attempt.id,
                "behavior": attempt.behavior_id,
                "category": attempt.category,
                "attack": attempt.attack,
                "epoch": attempt.epoch,
                "expected": attempt.expected,
                "label": label,
                "scorer": verdict.scorer,
                "outcome": kind,
                "error_kind": attempt.error.kind if attempt.error else None,
                "disagree": attempt.error is None and scorers_disagree(labels.get(attempt.id, {})),
                "prompt": prompt,
                "response": response,
                "search": (prompt + "\n" + response).lower(),
                "attempt": attempt.model_dump_json(),
                "scores": "[" + ",".join(by_attempt.get(attempt.id, [])) + "]",
            }
        )
    # Review order, as in the HTML report: what needs a look first.
    rank = {"attack_success": 0, "over_refusal": 1, "error": 2, "unscored": 3, "other": 3}
    rows.sort(
        key=lambda r: (rank.get(str(r["outcome"]), 4), r["category"], r["behavior"], r["epoch"])
    )
    charts = [
        {"title": c["title"], "note": c.get("note", ""), "svg": str(c["svg"])}
        for c in summary_charts(summary) + attack_charts(attempts, judge=judge)
    ]
    meta = {
        "summary": summary.model_dump_json(),
        "charts": json.dumps(charts),
        "scorers": json.dumps(sorted({s.scorer for s in scores})),
    }
    return rows, meta


def build_index(handle: RunHandle, path: Path) -> None:
    """Write the index of ``handle``'s run to ``path`` (atomically: a reader sees the
    old file or the new one)."""
    stamp = run_stamp(handle)
    rows, meta = _rows(handle)
    facets = {
        name: sorted({str(r[column]) for r in rows if r[column] is not None})
        for name, column in FILTERS.items()
    }
    meta["facets"] = json.dumps(facets)
    meta["stamp"] = stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    # Rows go through a JSONL file that DuckDB reads natively (no DataFrame library needed).
    with tempfile.NamedTemporaryFile(
        "w", suffix=".jsonl", dir=path.parent, delete=False, encoding="utf-8"
    ) as staging:
        for number, row in enumerate(rows):
            staging.write(json.dumps({"ord": number, **row}, ensure_ascii=False) + "\n")
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(
                "CREATE TABLE transcripts AS SELECT * FROM read_json(?, "
                f"format='newline_delimited', columns={_COLUMNS}, maximum_object_size=67108864)",
                [staging.name],
            )
            con.execute("CREATE INDEX transcripts_id ON transcripts (id)")
            con.execute("CREATE INDEX transcripts_behavior ON transcripts (behavior)")
            con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
            con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        Path(staging.name).unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


class IndexCache:
    """Indexes of every run, built on first use and kept open; one build per run at a time."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self._open: dict[str, RunIndex] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path_for(self, run_id: str) -> Path:
        return self.cache_dir / f"{run_id}.duckdb"

    def _lock_for(self, run_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(run_id, threading.Lock())

    def get(self, handle: RunHandle) -> RunIndex:
        """The run's index, rebuilt first if the run changed since it was built."""
        stamp = run_stamp(handle)
        with self._lock_for(handle.id):
            current = self._open.get(handle.id)
            if current is not None and current.stamp == stamp:
                return current
            path = self.path_for(handle.id)
            if current is not None:
                current.close()
                self._open.pop(handle.id, None)
            index = None
            if path.exists():
                try:
                    index = RunIndex(path)
                except (duckdb.Error, KeyError, ValueError):
                    index = None  # an index from another version, or torn: build anew
                if index is not None and index.stamp != stamp:
                    index.close()
                    index = None
            if index is None:
                try:
                    build_index(handle, path)
                except duckdb.Error as exc:
                    raise ConfigError(f"{handle.path}: could not index the run ({exc})") from exc
                index = RunIndex(path)
            self._open[handle.id] = index
            return index

    def forget(self, run_id: str) -> None:
        """Close and delete a run's index (the run was deleted or renamed)."""
        with self._lock_for(run_id):
            index = self._open.pop(run_id, None)
            if index is not None:
                index.close()
            self.path_for(run_id).unlink(missing_ok=True)

    def close(self) -> None:
        for run_id in list(self._open):
            self._open.pop(run_id).close()
