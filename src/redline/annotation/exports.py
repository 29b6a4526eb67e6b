"""Final labels of a queue, and the files other commands read.

- :func:`final_labels`: an adjudication where there is one, else the annotators'
  label when a strict majority gave it (``policy="majority"``) or all did
  (``policy="unanimous"``); other items are unresolved and left out of exports.
- :func:`calibration_rows`: the labels file ``redline judge calibrate --labels`` and
  ``redline report --labels`` read (prompt, response, human_label, ...).
- :func:`preference_rows`: TRL's conversational preference format
  (``prompt``/``chosen``/``rejected`` as message lists), from pairwise queues.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from redline.annotation.queue import QueueItem
from redline.annotation.storage import QueueFiles
from redline.core import ConfigError

Policy = Literal["majority", "unanimous"]


class FinalLabel(BaseModel):
    """The label that stands for an item, and how it was reached."""

    item_id: str
    label: str
    source: Literal["adjudicated", "majority", "unanimous"]
    annotators: int


class Resolution(BaseModel):
    """Every item's final label, and the items still in dispute or unlabelled."""

    final: list[FinalLabel]
    disputed: list[str]
    unlabelled: int


def final_labels(files: QueueFiles, *, policy: Policy = "majority") -> Resolution:
    """Resolve each item's label (see the module docstring)."""
    if policy not in ("majority", "unanimous"):
        raise ConfigError(f"resolution policy {policy!r}: use majority or unanimous")
    labels = files.labels()
    adjudicated = files.adjudications()
    final, disputed, unlabelled = [], [], 0
    for item in files.queue.items:
        by = labels.get(item.id, {})
        if item.id in adjudicated:
            final.append(
                FinalLabel(
                    item_id=item.id,
                    label=adjudicated[item.id].label,
                    source="adjudicated",
                    annotators=len(by),
                )
            )
            continue
        if not by:
            unlabelled += 1
            continue
        top, count = Counter(by.values()).most_common(1)[0]
        if count == len(by):
            final.append(
                FinalLabel(item_id=item.id, label=top, source="unanimous", annotators=len(by))
            )
        elif policy == "majority" and count * 2 > len(by):
            final.append(
                FinalLabel(item_id=item.id, label=top, source="majority", annotators=len(by))
            )
        else:
            disputed.append(item.id)
    return Resolution(final=final, disputed=disputed, unlabelled=unlabelled)


def _resolved(
    files: QueueFiles, *, kind: str, hint: str, policy: Policy
) -> list[tuple[QueueItem, FinalLabel]]:
    """The resolved items of a queue whose task is of ``kind`` (else an error with ``hint``)."""
    if files.task.kind != kind:
        raise ConfigError(f"queue {files.queue.id} is a {files.task.name} queue: {hint}")
    items = {item.id: item for item in files.queue.items}
    return [(items[f.item_id], f) for f in final_labels(files, policy=policy).final]


def calibration_rows(files: QueueFiles, *, policy: Policy = "majority") -> list[dict[str, Any]]:
    """One labels-file row per resolved item of a label task."""
    hint = "export its preferences (--format prefs)"
    return [
        {
            "id": item.a.attempt_id,
            "run_id": item.a.run_id,
            "target": item.a.target,
            "category": item.category,
            "expected": item.expected,
            "attack": item.attack,
            "prompt": item.prompt,
            "response": item.a.response,
            "human_label": final.label,
            "label_source": final.source,
            "annotators": final.annotators,
        }
        for item, final in _resolved(files, kind="label", hint=hint, policy=policy)
    ]


def _conversation(item: QueueItem) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in item.messages]


def preference_rows(files: QueueFiles, *, policy: Policy = "majority") -> list[dict[str, Any]]:
    """One TRL conversational preference pair per resolved, non-tie pairwise item."""
    hint = "it labels single responses; export calibration labels (--format labels)"
    rows = []
    for item, final in _resolved(files, kind="pairwise", hint=hint, policy=policy):
        if final.label == "tie" or item.b is None:
            continue
        chosen, rejected = (item.a, item.b) if final.label == "a" else (item.b, item.a)
        rows.append(
            {
                "prompt": _conversation(item),
                "chosen": [{"role": "assistant", "content": chosen.response}],
                "rejected": [{"role": "assistant", "content": rejected.response}],
                "behavior_id": item.behavior_id,
                "category": item.category,
                "source": f"annotation:{files.queue.id}",
                "chosen_attempt": chosen.attempt_id,
                "rejected_attempt": rejected.attempt_id,
            }
        )
    return rows


def export_rows(
    files: QueueFiles, *, export_format: str, policy: Policy = "majority"
) -> list[dict[str, Any]]:
    """``labels`` (for judge calibrate) or ``prefs`` (TRL preference pairs)."""
    if export_format == "labels":
        return calibration_rows(files, policy=policy)
    if export_format == "prefs":
        return preference_rows(files, policy=policy)
    raise ConfigError(f"export format {export_format!r}: use labels or prefs")


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write ``rows`` as JSON Lines (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_jsonl(rows), encoding="utf-8")
    return path
