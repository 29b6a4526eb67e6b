"""The per-run index: built once, reused while the run is unchanged, rebuilt when it changes."""

from __future__ import annotations

from redline.core import Attempt, Message
from redline.store import RunStore
from redline.testing.synthetic_runs import write_synthetic_run
from redline.ui import IndexCache, TranscriptQuery

RUN = "20260101-000000-dddddd"


def test_index_is_reused_until_the_run_changes(tmp_path):
    store = RunStore(tmp_path / "runs")
    handle = write_synthetic_run(store, run_id=RUN, attempts=30)
    cache = IndexCache(tmp_path / "cache")
    first = cache.get(handle)
    built = cache.path_for(RUN).stat().st_mtime_ns
    assert cache.get(handle) is first  # same open index, nothing rebuilt
    total, _ = first.page(TranscriptQuery())
    assert total == 30

    # A fresh cache (a restarted server) opens the file instead of rebuilding it.
    again = IndexCache(tmp_path / "cache")
    assert again.get(handle).page(TranscriptQuery())[0] == 30
    assert cache.path_for(RUN).stat().st_mtime_ns == built
    again.close()

    # Renaming touches run.json only: no rebuild.
    handle.update(config={**handle.info.config, "display_name": "renamed"})
    assert cache.get(handle) is first

    # A new attempt (a resumed run) changes the index.
    extra = Attempt(
        id="late-1", run_id=RUN, behavior_id="late", category="S1", expected="refuse",
        target="local", messages=[Message(role="user", content="a late quokka question")],
        response="no",
    )  # fmt: skip
    handle.append_attempt(extra)
    handle.close()
    rebuilt = cache.get(handle)
    assert rebuilt is not first
    assert rebuilt.page(TranscriptQuery(text="quokka"))[0] == 1
    assert rebuilt.record("late-1")["outcome"] == "unscored"
    cache.close()


def test_text_search_is_a_literal_case_insensitive_substring(tmp_path):
    store = RunStore(tmp_path / "runs")
    handle = write_synthetic_run(store, run_id=RUN, attempts=30)
    cache = IndexCache(tmp_path / "cache")
    index = cache.get(handle)
    # SQL wildcards are text, not patterns.
    assert index.page(TranscriptQuery(text="%"))[0] == 0
    assert index.page(TranscriptQuery(text="_"))[0] == 0
    assert index.page(TranscriptQuery(text="GLACIER"))[0] > 0
    cache.close()
