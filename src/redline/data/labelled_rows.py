"""Rows of a user's labelled file (JSONL or CSV), all or nothing.

Labelled files feed measurements and training: a bad line stops the whole read
with ``FILE:LINE: problem`` (exit 2), so nothing is measured or trained on half
a file.
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.core import ConfigError


def read_labelled_rows(path: Path, *, option: str = "file") -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for every non-empty row of a ``.csv`` or JSONL file
    (either may be gzipped: ``.jsonl.gz``, ``.csv.gz``)."""
    if not path.is_file():
        raise ConfigError(f"{option} {path}: no such file")
    gzipped = path.suffix.lower() == ".gz"
    try:
        text = (
            gzip.decompress(path.read_bytes()).decode("utf-8")
            if gzipped
            else path.read_text(encoding="utf-8")
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{option} {path}: cannot be read ({exc})") from None
    # The suffix that says CSV or JSONL is the one before ``.gz``.
    if (path.with_suffix("") if gzipped else path).suffix.lower() == ".csv":
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


_TRUE = {"1", "true", "yes", "positive"}
_FALSE = {"0", "false", "no", "negative"}


@dataclass(frozen=True)
class BinaryExample:
    """One row of a binary-labelled file: its text, 0/1 label and category."""

    line: int
    text: str
    label: int
    category: str
    row: dict[str, Any]


def binary_label(value: Any) -> int | None:
    """0 or 1 from 0/1, true/false, yes/no (any case); None for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return int(value.strip().lower() in _TRUE)
    return None


def read_binary_examples(
    path: Path,
    *,
    label_field: str,
    text_field: str = "text",
    category_field: str = "category",
    option: str = "file",
) -> list[BinaryExample]:
    """Every row with its text and binary label; any bad row, or a file with one
    class only, is a ConfigError (``FILE:LINE: field ...``) and nothing is returned."""
    examples = []
    for number, row in read_labelled_rows(path, option=option):
        if label_field not in row or row[label_field] in (None, ""):
            raise ConfigError(f"{path}:{number}: field {label_field!r} is missing")
        label = binary_label(row[label_field])
        if label is None:
            raise ConfigError(
                f"{path}:{number}: field {label_field!r} is {row[label_field]!r}; labels must "
                "be binary (0/1, true/false, yes/no)"
            )
        text = row.get(text_field)
        if not isinstance(text, str):
            raise ConfigError(f"{path}:{number}: field {text_field!r} is missing or not text")
        category = str(row.get(category_field) or "uncategorised")
        examples.append(BinaryExample(number, text, label, category, row))
    classes = {e.label for e in examples}
    if len(classes) < 2:
        only = "no rows" if not classes else f"every row has {label_field}={classes.pop()}"
        raise ConfigError(f"{path}: {only}; measuring needs both positives (1) and negatives (0)")
    return examples
