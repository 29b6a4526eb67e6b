"""The run store: run directories of append-only JSON Lines, and SQL over them."""

from redline.store.images import IMAGES_DIR, ImageStore
from redline.store.jsonl import JsonlAppender, iter_jsonl, truncate_torn_tail
from redline.store.query import connect_runs, query_runs
from redline.store.run_id import default_runs_dir, new_run_id
from redline.store.run_store import (
    ATTEMPTS_FILE,
    RUN_FILE,
    SCORES_FILE,
    RecordListener,
    RunHandle,
    RunStore,
    read_run_info,
)
from redline.store.stored_records import StoredRecords

__all__ = [
    "ATTEMPTS_FILE",
    "IMAGES_DIR",
    "RUN_FILE",
    "SCORES_FILE",
    "ImageStore",
    "JsonlAppender",
    "RecordListener",
    "RunHandle",
    "RunStore",
    "StoredRecords",
    "connect_runs",
    "default_runs_dir",
    "iter_jsonl",
    "new_run_id",
    "query_runs",
    "read_run_info",
    "truncate_torn_tail",
]
