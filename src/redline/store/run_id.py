"""Run ids that sort by time and read at a glance: ``20261129-120501-ab12cd``."""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


def new_run_id(now: datetime | None = None) -> str:
    """UTC date and time to the second, then 6 random hex digits against collisions."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def default_runs_dir() -> Path:
    """``$REDLINE_RUNS_DIR`` if set, else ``./runs``."""
    return Path(os.environ.get("REDLINE_RUNS_DIR") or "runs")
