"""`redline guard scan` output files, for the verdict explorer.

A file is JSON Lines with one verdict per input row (id, line, action, scores,
reasons, latency_ms[, redacted_text]). Files come from ``--guard-file`` and from
``RUNS_DIR/guard/*.jsonl``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.core import ConfigError
from redline.store import iter_jsonl

GUARD_DIR = "guard"


@dataclass
class GuardFile:
    path: Path
    rows: list[dict[str, Any]]
    actions: Counter[str]


def guard_files(runs_dir: Path, extra: list[Path]) -> list[Path]:
    """The files the explorer offers, in a stable order."""
    found = list(extra)
    folder = Path(runs_dir) / GUARD_DIR
    if folder.is_dir():
        found += sorted(folder.glob("*.jsonl"))
    return list(dict.fromkeys(found))


def read_guard_file(path: Path) -> GuardFile:
    """Read one verdict file; a line that is not a verdict is an error naming FILE:LINE."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such guard verdict file")
    rows = []
    for number, value in iter_jsonl(path):
        if not isinstance(value, dict) or "action" not in value:
            raise ConfigError(f"{path}:{number}: not a guard verdict (no 'action' field)")
        scores = value.get("scores") or {}
        top = max(
            (
                (f"{scanner}/{cat}", s)
                for scanner, cats in scores.items()
                for cat, s in cats.items()
            ),
            key=lambda pair: pair[1],
            default=None,
        )
        rows.append({**value, "top_score": top})
    return GuardFile(path=path, rows=rows, actions=Counter(r["action"] for r in rows))
