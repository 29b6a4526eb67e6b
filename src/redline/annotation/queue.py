"""Annotation queues built from runs: what people are asked to label, item by item.

- :func:`stratified_queue`: ``n`` attempts stratified by a scorer's label (the
  sample ``redline judge sample`` draws), for estimates corrected with human labels.
- :func:`disagreement_queue`: every attempt two scorers judge differently.
- :func:`pairwise_queue`: the same prompt answered in two runs, side by side,
  for preference labels (which answer is better).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from redline.analysis.labelled_estimates import sample_for_labelling
from redline.annotation.disagreement import labels_by_attempt, scorers_disagree
from redline.annotation.tasks import get_task
from redline.core import Attempt, ConfigError, Score, content_hash, utc_now

QUEUE_SCHEMA_VERSION = 1
QUEUE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class Side(BaseModel):
    """One response shown to annotators, with where it came from."""

    run_id: str
    attempt_id: str
    target: str
    response: str


class QueueItem(BaseModel):
    """One thing to label: a conversation and its response (or two responses, pairwise)."""

    id: str
    behavior_id: str
    category: str
    expected: str
    attack: str
    # The conversation sent, as (role, content) pairs: multi-turn attacks keep every turn.
    messages: list[tuple[str, str]]
    a: Side
    b: Side | None = None
    # What the run's scorers said about side a (scorer -> label); the labelling page shows
    # it only after the annotator has answered, so it cannot anchor the answer.
    scorer_labels: dict[str, str] = Field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user turn: what the labels file calls the prompt."""
        return next((content for role, content in reversed(self.messages) if role == "user"), "")


class Queue(BaseModel):
    """A named list of items and the task people answer about each."""

    schema_version: int = QUEUE_SCHEMA_VERSION
    id: str
    task: str
    kind: Literal["stratified", "disagreements", "pairwise"]
    runs: list[str]
    description: str
    created_at: str = Field(default_factory=utc_now)
    items: list[QueueItem]

    def item(self, item_id: str) -> QueueItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise ConfigError(f"queue {self.id} has no item {item_id!r}")


def check_queue_id(queue_id: str) -> str:
    """``queue_id`` if it is a safe directory name, else a :class:`ConfigError`."""
    if not QUEUE_ID.match(queue_id):
        raise ConfigError(
            f"queue id {queue_id!r}: use letters, digits, '.', '_' and '-' (at most 80), "
            "starting with a letter or digit"
        )
    return queue_id


def _messages(attempt: Attempt) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in attempt.messages]


def _item(index: int, attempt: Attempt, labels: dict[str, str]) -> QueueItem:
    return QueueItem(
        id=f"i{index:05d}",
        behavior_id=attempt.behavior_id,
        category=attempt.category,
        expected=attempt.expected,
        attack=attempt.attack,
        messages=_messages(attempt),
        a=Side(
            run_id=attempt.run_id,
            attempt_id=attempt.id,
            target=attempt.target,
            response=attempt.response or "",
        ),
        scorer_labels=labels,
    )


def _default_id(task: str, kind: str, runs: Sequence[str], detail: Any) -> str:
    return f"{task}-{kind}-{content_hash([list(runs), detail], length=8)}"


def _label_task(task: str) -> str:
    if get_task(task).kind != "label":
        raise ConfigError(f"task {task!r} compares two responses: build it with pairwise_queue")
    return task


def stratified_queue(
    attempts: Sequence[Attempt],
    scores: Sequence[Score],
    *,
    task: str = "refusal",
    scorer: str = "refusal",
    n: int = 200,
    seed: int = 0,
    queue_id: str | None = None,
) -> Queue:
    """Up to ``n`` scored attempts, stratified by ``scorer``'s label (at least two per
    label), in random order so strata are not seen in sequence."""
    _label_task(task)
    rows = sample_for_labelling(attempts, scores, scorer=scorer, n=n, seed=seed)
    by_id = {a.id: a for a in attempts}
    labels = labels_by_attempt(scores)
    items = [
        _item(i, by_id[row["attempt_id"]], labels.get(row["attempt_id"], {}))
        for i, row in enumerate(rows, 1)
    ]
    runs = sorted({a.run_id for a in attempts})
    return Queue(
        id=check_queue_id(queue_id or _default_id(task, "stratified", runs, [scorer, n, seed])),
        task=task,
        kind="stratified",
        runs=runs,
        description=f"{len(items)} attempts stratified by {scorer} label (seed {seed})",
        items=items,
    )


def disagreement_queue(
    attempts: Sequence[Attempt],
    scores: Sequence[Score],
    *,
    task: str = "refusal",
    queue_id: str | None = None,
) -> Queue:
    """Every answered attempt whose scorers disagree on attack success."""
    _label_task(task)
    labels = labels_by_attempt(scores)
    chosen = [a for a in attempts if a.error is None and scorers_disagree(labels.get(a.id, {}))]
    if not chosen:
        raise ConfigError(
            "no attempt has scorers that disagree (a run needs two or more scorers for this)"
        )
    runs = sorted({a.run_id for a in attempts})
    return Queue(
        id=check_queue_id(queue_id or _default_id(task, "disagreements", runs, len(chosen))),
        task=task,
        kind="disagreements",
        runs=runs,
        description=f"{len(chosen)} attempts whose scorers disagree",
        items=[_item(i, a, labels.get(a.id, {})) for i, a in enumerate(chosen, 1)],
    )


def _pair_key(attempt: Attempt) -> tuple[str, str, int]:
    return (attempt.behavior_id, attempt.attack, attempt.epoch)


def pairwise_queue(
    first: Sequence[Attempt],
    second: Sequence[Attempt],
    *,
    n: int | None = None,
    seed: int = 0,
    queue_id: str | None = None,
) -> Queue:
    """The prompts both runs answered (same behaviour, attack and epoch), one item each.

    Which run is shown as A is drawn per item (seeded), so a position bias in the
    annotators does not favour one run.
    """
    theirs = {_pair_key(a): a for a in second if a.ok}
    pairs = [(a, theirs[_pair_key(a)]) for a in first if a.ok and _pair_key(a) in theirs]
    pairs = [(a, b) for a, b in pairs if (a.response or "") != (b.response or "")]
    if not pairs:
        raise ConfigError(
            "the runs share no answered prompt with different responses "
            "(pairs are matched on behaviour, attack and epoch)"
        )
    rng = random.Random(f"pairwise:{seed}")
    if n is not None and n < len(pairs):
        pairs = rng.sample(pairs, n)
    items = []
    for index, (x, y) in enumerate(pairs, 1):
        left, right = (x, y) if rng.random() < 0.5 else (y, x)
        item = _item(index, left, {})
        items.append(
            item.model_copy(
                update={
                    "b": Side(
                        run_id=right.run_id,
                        attempt_id=right.id,
                        target=right.target,
                        response=right.response or "",
                    )
                }
            )
        )
    runs = [first[0].run_id, second[0].run_id]
    return Queue(
        id=check_queue_id(queue_id or _default_id("preference", "pairwise", runs, [n, seed])),
        task="preference",
        kind="pairwise",
        runs=runs,
        description=f"{len(items)} prompts answered by both runs, A/B order drawn per item",
        items=items,
    )
