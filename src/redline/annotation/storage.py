"""Annotation queues on disk, beside the runs they came from.

``RUNS_DIR/.annotations/QUEUE_ID/`` holds ``queue.json`` (the items, written once),
``labels.jsonl`` (one line per label an annotator gave; a later line for the same
item and annotator replaces the earlier one) and ``adjudications.jsonl`` (the
final label someone chose where annotators disagreed). Appends are flushed per
line, so a closed browser or a killed server loses nothing already answered.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from redline.annotation.queue import Queue, check_queue_id
from redline.annotation.tasks import Task, get_task
from redline.core import ConfigError, utc_now
from redline.store import JsonlAppender, iter_jsonl
from redline.store.run_store import write_json_atomic

ANNOTATIONS_DIR = ".annotations"
QUEUE_FILE = "queue.json"
LABELS_FILE = "labels.jsonl"
ADJUDICATIONS_FILE = "adjudications.jsonl"
ANNOTATOR = re.compile(r"^[\w][\w .@-]{0,39}$")


class LabelRecord(BaseModel):
    """One annotator's answer for one item."""

    item_id: str
    annotator: str
    label: str
    created_at: str = Field(default_factory=utc_now)


class Adjudication(BaseModel):
    """The label that stands for an item, chosen by ``adjudicator``."""

    item_id: str
    adjudicator: str
    label: str
    created_at: str = Field(default_factory=utc_now)


def check_annotator(name: str) -> str:
    """A trimmed annotator name, or a :class:`ConfigError` saying what is allowed."""
    name = name.strip()
    if not ANNOTATOR.match(name):
        raise ConfigError(
            f"annotator name {name!r}: 1-40 letters, digits, spaces, '.', '@', '_' or '-'"
        )
    return name


class QueueFiles:
    """One stored queue: its items and the labels people gave."""

    def __init__(self, path: Path, queue: Queue) -> None:
        self.path = path
        self.queue = queue
        self.task: Task = get_task(queue.task)
        self._lock = threading.Lock()
        self._item_ids = {item.id for item in queue.items}

    @property
    def labels_path(self) -> Path:
        return self.path / LABELS_FILE

    @property
    def adjudications_path(self) -> Path:
        return self.path / ADJUDICATIONS_FILE

    def _check(self, item_id: str, label: str) -> None:
        if item_id not in self._item_ids:
            raise ConfigError(f"queue {self.queue.id} has no item {item_id!r}")
        self.task.check(label)

    def _append(self, path: Path, record: BaseModel) -> None:
        # One writer at a time: the web server answers requests on several threads.
        with self._lock:
            appender = JsonlAppender(path)
            try:
                appender.write_line(record.model_dump_json())
            finally:
                appender.close()

    def add_label(self, *, item_id: str, annotator: str, label: str) -> LabelRecord:
        """Record ``annotator``'s ``label`` for ``item_id`` (replacing an earlier one)."""
        self._check(item_id, label)
        record = LabelRecord(item_id=item_id, annotator=check_annotator(annotator), label=label)
        self._append(self.labels_path, record)
        return record

    def adjudicate(self, *, item_id: str, adjudicator: str, label: str) -> Adjudication:
        """Settle an item's final label (replacing an earlier adjudication)."""
        self._check(item_id, label)
        record = Adjudication(
            item_id=item_id, adjudicator=check_annotator(adjudicator), label=label
        )
        self._append(self.adjudications_path, record)
        return record

    def _records(self, path: Path, model: type[BaseModel]) -> Iterator[BaseModel]:
        for number, value in iter_jsonl(path):
            try:
                yield model.model_validate(value)
            except ValidationError as exc:
                raise ConfigError(f"{path}:{number}: {exc.errors()[0]['msg']}") from exc

    def labels(self) -> dict[str, dict[str, str]]:
        """Item id -> annotator -> label (each annotator's latest answer)."""
        out: dict[str, dict[str, str]] = {}
        for record in self._records(self.labels_path, LabelRecord):
            assert isinstance(record, LabelRecord)
            out.setdefault(record.item_id, {})[record.annotator] = record.label
        return out

    def adjudications(self) -> dict[str, Adjudication]:
        """Item id -> its latest adjudication."""
        out: dict[str, Adjudication] = {}
        for record in self._records(self.adjudications_path, Adjudication):
            assert isinstance(record, Adjudication)
            out[record.item_id] = record
        return out

    def annotators(self) -> list[str]:
        """Everyone who has labelled an item of this queue, sorted."""
        return sorted({name for by in self.labels().values() for name in by})

    def next_item(self, annotator: str, *, after: str | None = None) -> str | None:
        """The first item (after ``after``, wrapping) ``annotator`` has not labelled yet."""
        done = {item_id for item_id, by in self.labels().items() if annotator in by}
        ids = [item.id for item in self.queue.items]
        start = ids.index(after) + 1 if after in ids else 0
        for item_id in ids[start:] + ids[:start]:
            if item_id not in done:
                return item_id
        return None


class AnnotationStore:
    """Every annotation queue under one runs directory."""

    def __init__(self, runs_dir: Path) -> None:
        self.root = Path(runs_dir) / ANNOTATIONS_DIR

    def _dir(self, queue_id: str) -> Path:
        return self.root / check_queue_id(queue_id)

    def ids(self) -> list[str]:
        """Ids of the stored queues, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{QUEUE_FILE}"))

    def save(self, queue: Queue, *, replace: bool = False) -> QueueFiles:
        """Store a new queue; an existing id is an error unless ``replace`` (labels kept)."""
        path = self._dir(queue.id)
        if (path / QUEUE_FILE).exists() and not replace:
            raise ConfigError(
                f"annotation queue {queue.id!r} already exists in {self.root} (pick another --name)"
            )
        path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path / QUEUE_FILE, queue.model_dump_json(indent=1))
        return QueueFiles(path, queue)

    def open(self, queue_id: str) -> QueueFiles:
        """A stored queue; an unknown id lists the queues there are."""
        path = self._dir(queue_id)
        file = path / QUEUE_FILE
        if not file.is_file():
            known = ", ".join(self.ids()) or "none yet"
            raise ConfigError(f"no annotation queue {queue_id!r} in {self.root} (queues: {known})")
        try:
            queue = Queue.model_validate_json(file.read_bytes())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{file}: field {where}: {first['msg']}") from exc
        return QueueFiles(path, queue)

    def delete(self, queue_id: str) -> None:
        """Remove a queue and every label given in it."""
        path = self._dir(queue_id)
        if not path.is_dir():
            raise ConfigError(f"no annotation queue {queue_id!r} in {self.root}")
        shutil.rmtree(path)
