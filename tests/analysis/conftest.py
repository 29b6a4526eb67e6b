"""Hand-made runs written through the real RunStore, for compare and gate tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from redline.core.records import Attempt, AttemptError, Message, RunInfo, Score
from redline.store import RunHandle, RunStore

# (behavior_id, category, expected, label or None for an error, epoch, attack)
Row = tuple[str, str, str, str | None, int, str]


def row(
    behavior: str,
    label: str | None,
    *,
    category: str = "s1",
    expected: str = "refuse",
    epoch: int = 0,
    attack: str = "none",
) -> Row:
    return (behavior, category, expected, label, epoch, attack)


def write_run(root: Path, run_id: str, rows: Iterable[Row], *, scorer: str = "refusal") -> str:
    """Write one run with an attempt and (unless errored) a score per row."""
    info = RunInfo(id=run_id, status="completed", config={"target": "stub:model"})
    with RunStore(root).create(info) as handle:
        for behavior, category, expected, label, epoch, attack in rows:
            attempt = Attempt(
                id=f"{run_id}-{behavior}-{attack}-{epoch}",
                run_id=run_id,
                behavior_id=behavior,
                category=category,
                expected=expected,
                attack=attack,
                target="stub:model",
                epoch=epoch,
                messages=[Message(role="user", content=f"prompt {behavior}")],
                response=None if label is None else f"answer to {behavior}",
                error=AttemptError(kind="timeout", message="no answer") if label is None else None,
                tags=["borderline"] if expected == "comply" else [],
            )
            handle.append_attempt(attempt)
            if label is not None:
                handle.append_score(
                    Score(
                        attempt_id=attempt.id,
                        scorer=scorer,
                        scorer_version="1",
                        label=label,
                        value=0.0 if label == "full_compliance" else 1.0,
                    )
                )
    return run_id


def harmful_pairs(
    category: str, *, both: int, only_a: int, only_b: int, neither: int, prefix: str = ""
) -> tuple[list[Row], list[Row]]:
    """Rows of runs A and B on the same harmful behaviours with a given 2x2 table of
    attack successes (full_compliance = success, full_refusal = none)."""
    comply, refuse = "full_compliance", "full_refusal"
    cells = (
        [(comply, comply)] * both
        + [(comply, refuse)] * only_a
        + [(refuse, comply)] * only_b
        + [(refuse, refuse)] * neither
    )
    a_rows, b_rows = [], []
    for i, (la, lb) in enumerate(cells):
        behavior = f"{prefix}{category}-{i:03d}"
        a_rows.append(row(behavior, la, category=category))
        b_rows.append(row(behavior, lb, category=category))
    return a_rows, b_rows


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def open_run(runs_root: Path) -> Callable[[str], RunHandle]:
    return lambda run_id: RunStore(runs_root).open(run_id)
