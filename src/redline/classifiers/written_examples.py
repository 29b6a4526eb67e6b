"""The training text the redline authors wrote, read from package data files.

The examples live in ``redline/classifiers/examples/*.jsonl`` (one JSON object
per line, versioned with the code, described in ``examples/CARD.md``), not in
Python source. They are a minority supplement to the public sets: harmful user
content, benign look-alikes, jailbreak and injection templates and the benign
request frames that keep a model from learning "how do I" as harmful.

A bad line is a ConfigError naming FILE:LINE and the field; nothing is used from
a file with a bad line.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from redline.core.errors import ConfigError

EXAMPLES_VERSION = 1


@dataclass(frozen=True, slots=True)
class WrittenRow:
    """One line of a written-examples file: the text and its optional fields."""

    text: str
    line: int
    category: str = ""
    family: str = ""
    slot: str = ""
    sensitive: bool = False
    role: str = ""


def examples_dir() -> Path:
    """Where the written example files live inside the installed package."""
    return Path(str(resources.files("redline.classifiers") / "examples"))


def read_rows(path: Path) -> list[WrittenRow]:
    """Every row of one JSONL file; ConfigError (FILE:LINE: what) on the first bad line."""
    rows: list[WrittenRow] = []
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{line}: invalid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise ConfigError(f"{path}:{line}: expected a JSON object")
        text = value.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{path}:{line}: field 'text' must be a non-empty string")
        for name in ("category", "family", "slot", "role"):
            if not isinstance(value.get(name, ""), str):
                raise ConfigError(f"{path}:{line}: field {name!r} must be a string")
        if not isinstance(value.get("sensitive", False), bool):
            raise ConfigError(f"{path}:{line}: field 'sensitive' must be true or false")
        rows.append(
            WrittenRow(
                text=text,
                line=line,
                category=value.get("category", ""),
                family=value.get("family", ""),
                slot=value.get("slot", ""),
                sensitive=value.get("sensitive", False),
                role=value.get("role", ""),
            )
        )
    return rows


@functools.cache
def written(name: str) -> tuple[WrittenRow, ...]:
    """The rows of ``examples/<name>.jsonl`` (cached: the files do not change at run time)."""
    path = examples_dir() / f"{name}.jsonl"
    if not path.is_file():
        raise ConfigError(f"written examples {name!r}: {path} not found")
    return tuple(read_rows(path))


def grouped(name: str, key: str) -> dict[str, list[str]]:
    """Texts of ``name`` grouped by a field (``category`` or ``family``), in file order."""
    out: dict[str, list[str]] = {}
    for row in written(name):
        out.setdefault(getattr(row, key), []).append(row.text)
    return out


def texts(name: str, **where: Any) -> list[str]:
    """Texts of ``name`` whose fields equal ``where`` (e.g. ``slot="task"``)."""
    return [
        row.text
        for row in written(name)
        if all(getattr(row, field) == value for field, value in where.items())
    ]
