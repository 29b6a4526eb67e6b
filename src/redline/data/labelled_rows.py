"""Rows of a user's labelled file (JSONL or CSV), all or nothing.

Labelled files feed measurements and training: a bad line stops the whole read
with ``FILE:LINE: problem`` (exit 2), so nothing is measured or trained on half
a file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from redline.core import ConfigError


def read_labelled_rows(path: Path, *, option: str = "file") -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for every non-empty row of a ``.csv`` or JSONL file."""
    if not path.is_file():
        raise ConfigError(f"{option} {path}: no such file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        return [(index + 2, dict(row)) for index, row in enumerate(reader)]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{path}:{number}: expected a JSON object")
        rows.append((number, row))
    return rows
