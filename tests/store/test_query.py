from __future__ import annotations

import pytest

from redline.core import ConfigError, RunInfo
from redline.store import RunStore, query_runs


@pytest.fixture
def two_runs(tmp_path, make_attempt, make_score):
    store = RunStore(tmp_path)
    for run_id, n in (("20260101-000000-aaaaaa", 3), ("20260102-000000-bbbbbb", 2)):
        with store.create(
            RunInfo(id=run_id, config={"config_hash": run_id[-1], "target": "fake"})
        ) as run:
            for i in range(n):
                run.append_attempt(make_attempt(i, run_id=run_id, attack=f"atk{i % 2}"))
                run.append_score(make_score(f"a{i}", label="refused" if i else "complied"))
            # A resumed attempt and a rescored one: the views keep only the latest.
            run.append_attempt(
                make_attempt(0, run_id=run_id, response="newer", created_at="2099-01-01T00:00:00Z")
            )
            run.append_score(make_score("a0", label="refused"))
            run.update(status="completed", counts={"attempts": n})
    return tmp_path


def test_query_over_two_runs(two_runs):
    columns, rows = query_runs(
        two_runs, "SELECT run_id, count(*) AS n FROM attempts GROUP BY run_id ORDER BY run_id"
    )
    assert columns == ["run_id", "n"]
    assert rows == [("20260101-000000-aaaaaa", 3), ("20260102-000000-bbbbbb", 2)]

    _, rows = query_runs(two_runs, "SELECT DISTINCT response FROM attempts WHERE id = 'a0'")
    assert rows == [("newer",)]

    _, rows = query_runs(
        two_runs,
        "SELECT s.run_id, count(*) FILTER (WHERE label = 'refused') FROM scores s "
        "JOIN attempts a ON a.run_id = s.run_id AND a.id = s.attempt_id "
        "GROUP BY 1 ORDER BY 1",
    )
    assert rows == [("20260101-000000-aaaaaa", 3), ("20260102-000000-bbbbbb", 2)]

    _, rows = query_runs(
        two_runs,
        "SELECT id, status, config->>'config_hash', counts->>'attempts' FROM runs ORDER BY id",
    )
    assert rows == [
        ("20260101-000000-aaaaaa", "completed", "a", "3"),
        ("20260102-000000-bbbbbb", "completed", "b", "2"),
    ]


def test_struct_columns_are_queryable(two_runs, make_attempt):
    run = RunStore(two_runs).open("20260101-000000-aaaaaa")
    run.append_attempt(make_attempt(9, run_id=run.id, error="timeout"))
    run.close()
    _, rows = query_runs(
        two_runs,
        "SELECT id, error.kind, error.status, usage.prompt_tokens FROM attempts "
        "WHERE error IS NOT NULL",
    )
    assert rows == [("a9", "timeout", 503, 0)]


def test_torn_final_line_is_ignored_by_queries(two_runs):
    path = two_runs / "20260101-000000-aaaaaa" / "attempts.jsonl"
    with path.open("a") as f:
        f.write('{"id": "a77", "run_id": "20260101-0000')
    _, rows = query_runs(two_runs, "SELECT count(*) FROM attempts")
    assert rows == [(5,)]


def test_empty_store_has_the_views_and_columns(tmp_path):
    for view, column in (("runs", "status"), ("attempts", "response"), ("scores", "label")):
        columns, rows = query_runs(tmp_path / "nothing", f"SELECT * FROM {view}")
        assert column in columns and "run_id" in columns and rows == []


def test_sql_errors_are_config_errors_with_duckdb_message(two_runs):
    with pytest.raises(ConfigError, match=r'query failed: .*"nope"'):
        query_runs(two_runs, "SELECT nope FROM attempts")
    with pytest.raises(ConfigError, match="query failed: Parser Error"):
        query_runs(two_runs, "SELEC 1")
