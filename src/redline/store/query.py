"""SQL over every run in a store, through DuckDB views ``runs``, ``attempts`` and ``scores``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from redline.core import ConfigError
from redline.store.run_store import ATTEMPTS_FILE, RUN_FILE, SCORES_FILE

if TYPE_CHECKING:
    import duckdb

# Fixed column types: the views keep the same shape whatever the runs hold
# (or when there are none), and free-form dicts stay JSON for ->> access.
RUN_COLUMNS = {
    "schema_version": "INTEGER",
    "id": "VARCHAR",
    "created_at": "TIMESTAMP",
    "updated_at": "TIMESTAMP",
    "status": "VARCHAR",
    "config": "JSON",
    "versions": "JSON",
    "datasets": "JSON",
    "counts": "JSON",
    "engine_stats": "JSON",
}
ATTEMPT_COLUMNS = {
    "schema_version": "INTEGER",
    "id": "VARCHAR",
    "run_id": "VARCHAR",
    "behavior_id": "VARCHAR",
    "category": "VARCHAR",
    "expected": "VARCHAR",
    "attack": "VARCHAR",
    "attack_params": "JSON",
    "target": "VARCHAR",
    "epoch": "INTEGER",
    "seed": "BIGINT",
    "messages": "JSON",
    "response": "VARCHAR",
    "finish_reason": "VARCHAR",
    "usage": "STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT)",
    "latency_s": "DOUBLE",
    "generation_s": "DOUBLE",
    "retries": "INTEGER",
    "cached": "BOOLEAN",
    "error": "STRUCT(kind VARCHAR, message VARCHAR, status INTEGER)",
    "tags": "VARCHAR[]",
    "created_at": "TIMESTAMP",
}
SCORE_COLUMNS = {
    "schema_version": "INTEGER",
    "attempt_id": "VARCHAR",
    "scorer": "VARCHAR",
    "scorer_version": "VARCHAR",
    "label": "VARCHAR",
    "value": "DOUBLE",
    "rationale": "VARCHAR",
    "created_at": "TIMESTAMP",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns_arg(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in columns.items()) + "}"


def _empty_select(columns: dict[str, str], extra: dict[str, str]) -> str:
    cols = {**columns, **extra}
    return "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in cols.items()) + " LIMIT 0"


def _scan(files: list[Path], columns: dict[str, str], *, lines: bool) -> str:
    paths = "[" + ", ".join(_literal(str(p)) for p in files) + "]"
    fmt = "newline_delimited" if lines else "auto"
    # ignore_errors turns a torn final line left by a killed writer into a row
    # of NULLs, which the views filter out.
    return (
        f"read_json({paths}, format={_literal(fmt)}, columns={_columns_arg(columns)}, "
        "filename=true, ignore_errors=true)"
    )


_RUN_ID_FROM_PATH = r"regexp_extract(filename, '([^/\\]+)[/\\][^/\\]+$', 1)"


def _latest(scan: str, keep: str, key: str, run_id_expr: str | None) -> str:
    """The last record per ``key`` in file order, as the Python reader dedupes.

    ``row_number() OVER ()`` numbers rows in scan order, which is file order
    while ``preserve_insertion_order`` is on (set in :func:`connect_runs`).
    """
    run_id = f", {run_id_expr} AS run_id" if run_id_expr else ""
    return (
        f"SELECT * EXCLUDE (filename, _line, _rank) FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _line DESC) AS _rank FROM ("
        f"SELECT *{run_id}, row_number() OVER () AS _line FROM {scan} WHERE {keep})"
        f") WHERE _rank = 1 ORDER BY filename, _line"
    )


def _view_sql(root: Path) -> list[str]:
    run_dirs = sorted(p.parent for p in root.glob(f"*/{RUN_FILE}")) if root.is_dir() else []
    views = []
    if run_dirs:
        scan = _scan([d / RUN_FILE for d in run_dirs], RUN_COLUMNS, lines=False)
        views.append(f"CREATE VIEW runs AS SELECT * EXCLUDE (filename), id AS run_id FROM {scan}")
    else:
        views.append(f"CREATE VIEW runs AS {_empty_select(RUN_COLUMNS, {'run_id': 'VARCHAR'})}")

    attempt_files = [d / ATTEMPTS_FILE for d in run_dirs if (d / ATTEMPTS_FILE).is_file()]
    if attempt_files:
        scan = _scan(attempt_files, ATTEMPT_COLUMNS, lines=True)
        views.append(
            f"CREATE VIEW attempts AS {_latest(scan, 'id IS NOT NULL', 'run_id, id', None)}"
        )
    else:
        views.append(f"CREATE VIEW attempts AS {_empty_select(ATTEMPT_COLUMNS, {})}")

    score_files = [d / SCORES_FILE for d in run_dirs if (d / SCORES_FILE).is_file()]
    if score_files:
        scan = _scan(score_files, SCORE_COLUMNS, lines=True)
        views.append(
            "CREATE VIEW scores AS "
            + _latest(
                scan, "attempt_id IS NOT NULL", "run_id, attempt_id, scorer", _RUN_ID_FROM_PATH
            )
        )
    else:
        views.append(f"CREATE VIEW scores AS {_empty_select(SCORE_COLUMNS, {'run_id': 'VARCHAR'})}")
    return views


def connect_runs(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the ``runs``, ``attempts`` and ``scores`` views."""
    # Imported on use: DuckDB costs ~100 ms and memory that a scan never needs.
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    for statement in _view_sql(Path(root)):
        con.execute(statement)
    return con


def query_runs(root: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` over the store at ``root``; returns column names and rows.

    A DuckDB error (bad SQL, unknown column) becomes a :class:`ConfigError`
    carrying DuckDB's own message.
    """
    import duckdb

    con = connect_runs(root)
    try:
        result = con.execute(sql)
        if result.description is None:
            return [], []
        columns = [d[0] for d in result.description]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"query failed: {message}") from exc
    finally:
        con.close()
