"""What a finished (or interrupted) scan produced: :class:`CampaignResult`.

A module of its own because its summary field needs the analysis package at
class creation: the runner imports it at the finish, so a scan's start-up does
not pay for the analysis (numpy, scipy) before its first request.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from redline.analysis import RunSummary
from redline.engine import EngineStats


class CampaignResult(BaseModel):
    """What a finished (or interrupted) scan produced."""

    run_id: str
    run_dir: Path
    report_path: Path | None
    status: str
    summary: RunSummary
    engine: EngineStats
    skipped_done: int
    attempts: int
    errors: int
    warnings: list[str] = []
