"""Scoring prompt/response records that come from outside a run (``redline score``).

A records file is JSONL: ``response`` (required), ``prompt``, ``id``,
``category``, ``expected`` (optional). Like every input file redline reads, a
file with a bad line is rejected whole, each problem reported as FILE:LINE
(see :mod:`redline.data.bad_lines`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redline.core import Score
from redline.data.bad_lines import BadLines, decode_lines, jsonl_objects, read_file_bytes
from redline.scoring.base import Scorer, score_async
from redline.scoring.calibration import record_attempt

# Scorers with a batch method take this many records at a time, so progress moves.
BATCH_SIZE = 256


def _check_row(row: dict[str, Any]) -> str | None:
    if not isinstance(row.get("response"), str):
        return "field 'response' missing or not a string"
    if "prompt" in row and not isinstance(row["prompt"], str):
        return "field 'prompt' is not a string"
    return None


def read_score_records(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file, each with ``id`` (default ``line-N``) and ``_line``.

    Raises ConfigError listing every bad line (FILE:LINE: problem); nothing is scored.
    """
    bad = BadLines(path)
    records: list[dict[str, Any]] = []
    for number, row in jsonl_objects(decode_lines(read_file_bytes(path), bad), bad):
        problem = _check_row(row)
        if problem is not None:
            bad.add(number, problem)
            continue
        row.setdefault("id", f"line-{number}")
        row["_line"] = number
        records.append(row)
    bad.raise_if_any()
    return records


async def score_records(
    scorer: Scorer,
    records: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    progress: Callable[[int], object] | None = None,
) -> list[Score]:
    """Scores for ``records`` in order; async scorers (judges) run ``concurrency`` at a time.

    ``progress(n)`` is called as records are done.
    """
    attempts = [record_attempt(r, index=i) for i, r in enumerate(records)]
    score_many = getattr(scorer, "score_many", None)
    if score_many is not None and not hasattr(scorer, "ascore"):
        out: list[Score] = []
        for start in range(0, len(attempts), BATCH_SIZE):
            batch = attempts[start : start + BATCH_SIZE]
            out.extend(score_many(batch))
            if progress is not None:
                progress(len(batch))
        return out
    gate = asyncio.Semaphore(concurrency)

    async def one(attempt: Any) -> Score:
        async with gate:
            result = await score_async(scorer, attempt)
        if progress is not None:
            progress(1)
        return result

    return list(await asyncio.gather(*(one(a) for a in attempts)))


def scored_record(record: dict[str, Any], score: Score) -> dict[str, Any]:
    """The output line of ``redline score``: the record plus its label, value and rationale."""
    row = {k: v for k, v in record.items() if k != "_line"}
    row.update(
        scorer=score.scorer,
        scorer_version=score.scorer_version,
        label=score.label,
        value=score.value,
        rationale=score.rationale,
    )
    if score.raw_output is not None:
        row["raw_output"] = score.raw_output
    return row
