"""Score a stored run again with other scorers: imported runs, or a new classifier.

A run keeps every scorer's verdicts side by side (``scores.jsonl`` is keyed by
attempt and scorer), so adding ``refusal`` and ``harm`` to a run imported from
garak puts redline's verdicts next to garak's detectors, and the summary,
report and ``compare`` read them like a scan's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redline.core import Score
from redline.scoring import Scorer
from redline.scoring.batch import BatchScoring
from redline.store import RunStore


@dataclass(frozen=True)
class RescoreResult:
    run_id: str
    scorers: tuple[str, ...]
    scored: int  # attempts given at least one new score
    skipped: int  # answered attempts every scorer had already scored


def rescore_run(
    store: RunStore,
    run_id: str,
    scorers: Sequence[Scorer],
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreResult:
    """Add ``scorers``' verdicts to every answered attempt of ``run_id``.

    Attempts a scorer has already labelled are skipped unless ``force``; the
    run's configured scorers gain the new names, so summaries list them.
    ``progress`` is called with (done, total) attempts.
    """
    handle = store.open(run_id)
    with handle:
        attempts = [a for a in handle.read_attempts() if a.ok]
        names = [s.name for s in scorers]
        have = set() if force else {(s.attempt_id, s.scorer) for s in handle.read_scores()}
        todo = [a for a in attempts if any((a.id, name) not in have for name in names)]

        def write(score: Score) -> None:
            if (score.attempt_id, score.scorer) not in have:
                handle.append_score(score)

        async def score_all() -> None:
            scoring = BatchScoring(list(scorers), write)
            for done, attempt in enumerate(todo, start=1):
                await scoring.add(attempt)
                if progress is not None:
                    progress(done, len(todo))
            await scoring.close()

        asyncio.run(score_all())
        configured = list(handle.info.config.get("scorers") or [])
        config = {
            **handle.info.config,
            "scorers": configured + [n for n in names if n not in configured],
        }
        handle.update(config=config, counts=handle.record_counts())
    return RescoreResult(
        run_id=handle.id,
        scorers=tuple(names),
        scored=len(todo),
        skipped=len(attempts) - len(todo),
    )
