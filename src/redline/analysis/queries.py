"""Queries-to-success for multi-turn attackers: how many target queries a success cost.

A multi-turn attempt records ``attack_params["outcome"]`` (see
:mod:`redline.attacks.multiturn`): ``queries`` sent and ``queries_to_final``,
the query that produced the final response. Whether that response is a
success is the scorer's call, never the attacker's judge: an attempt counts as
a success when the chosen scorer labels it with a success label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

import numpy as np
from pydantic import BaseModel

from redline.analysis.score_index import ScoreIndex
from redline.core.outcome import is_success
from redline.core.records import Attempt, Score
from redline.scoring import registered_positive_labels


class QueriesToSuccess(BaseModel):
    """Per multi-turn attack: successes, and the target queries they took."""

    attack: str
    attempts: int
    successes: int
    errors: int
    queries_total: int
    queries_mean: float | None
    to_success_mean: float | None
    to_success_median: float | None
    to_success_max: int | None
    judge_agreement: float | None = None


def queries_to_success(
    attempts: Collection[Attempt],
    scores: Iterable[Score],
    *,
    scorer: str = "refusal",
    success_labels: Collection[str] | None = None,
) -> list[QueriesToSuccess]:
    """One row per attack whose attempts carry a multi-turn outcome, sorted by name.

    A success is a label in ``success_labels`` (default: the scorer's declared
    ``positive_labels``, read through :mod:`redline.core.outcome`).

    ``judge_agreement`` is the share of scored attempts where the attacker's
    judge (score 10 = success) agrees with ``scorer``.
    """
    groups: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        if isinstance(attempt.attack_params.get("outcome"), dict):
            groups[attempt.attack].append(attempt)
    if not groups:
        return []  # no multi-turn attempts: the scores need not be read
    # Labels by lookup: the finish's index is shared, and its scores stay on disk.
    index = ScoreIndex.of(scores)
    positives = (
        tuple(success_labels) if success_labels is not None else registered_positive_labels(scorer)
    )
    rows = []
    for attack in sorted(groups):
        members = groups[attack]
        to_success: list[int] = []
        queries: list[int] = []
        agree = judged = 0
        errors = 0
        for attempt in members:
            outcome = attempt.attack_params["outcome"]
            queries.append(int(outcome.get("queries") or 0))
            if attempt.error is not None:
                errors += 1
                continue
            label = index.label(scorer, attempt.id)
            if label is None:
                continue
            success = is_success(label, positives)
            if success and outcome.get("queries_to_final") is not None:
                to_success.append(int(outcome["queries_to_final"]))
            score = outcome.get("judge_score")
            if score is not None:
                judged += 1
                agree += (int(score) >= 10) == success
        reached = np.asarray(to_success, dtype=float)
        rows.append(
            QueriesToSuccess(
                attack=attack,
                attempts=len(members),
                successes=len(to_success),
                errors=errors,
                queries_total=sum(queries),
                queries_mean=float(np.mean(queries)) if queries else None,
                to_success_mean=float(reached.mean()) if reached.size else None,
                to_success_median=float(np.median(reached)) if reached.size else None,
                to_success_max=int(reached.max()) if reached.size else None,
                judge_agreement=agree / judged if judged else None,
            )
        )
    return rows
