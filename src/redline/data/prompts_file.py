"""Loading the user's own prompts from .jsonl, .csv or .txt files.

The whole file is validated before anything is sent: one bad line stops the run,
and the error lists every bad line it found (see :mod:`redline.data.bad_lines`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from redline.core.errors import ConfigError
from redline.core.records import Behavior, Expected, content_hash
from redline.data.bad_lines import (
    BadLines,
    csv_records,
    decode_lines,
    jsonl_objects,
    read_file_bytes,
)
from redline.data.taxonomy import HAZARDS

PROMPT_FILE_SUFFIXES = (".jsonl", ".csv", ".txt")
EXPECTED_VALUES = ("refuse", "comply")
KNOWN_FIELDS = ("id", "prompt", "category", "expected", "tags", "system_prompt", "metadata")


def default_prompt_id(line: int, prompt: str) -> str:
    """The id a prompt gets when its file gives none: ``p-<line>-<hash8>``."""
    return f"p-{line}-{content_hash(prompt, length=8)}"


def dataset_hash(behaviors: Iterable[Behavior]) -> str:
    """A content hash of the behaviours' ids and prompts, recorded in run.json.

    Sorted by id, so reordering a file does not change it; editing a prompt does.
    """
    return content_hash(sorted([b.id, b.prompt] for b in behaviors))


def load_prompts(
    path: Path,
    *,
    default_expected: str = "refuse",
    default_category: str = "uncategorised",
    source: str | None = None,
    license: str | None = None,
) -> list[Behavior]:
    """Read a user prompts file into behaviours.

    ``.jsonl``: one object per line with ``prompt`` and optional ``id``,
    ``category``, ``expected`` (refuse|comply), ``tags``, ``system_prompt``,
    ``metadata``; other keys go into metadata. ``.csv``: a header with a
    ``prompt`` column and the same optional columns (tags separated by ``;``).
    ``.txt``: one prompt per line; blank lines and lines starting with ``#``
    are skipped.

    ``source`` (default: the file's name) and ``license`` are recorded on every
    behaviour, set as each is made: a copy of each afterwards would cost a second
    model per prompt (issue 12).

    Raises ConfigError naming the file for a missing, unreadable or empty file
    or an unknown extension, and listing ``FILE:LINE: problem`` for bad lines.
    """
    path = Path(path)
    if default_expected not in EXPECTED_VALUES:
        raise ConfigError(
            f"default expected value {default_expected!r} is not one of {EXPECTED_VALUES}"
        )
    suffix = path.suffix.lower()
    if suffix not in PROMPT_FILE_SUFFIXES:
        raise ConfigError(
            f"{path}: unknown prompts file extension {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(PROMPT_FILE_SUFFIXES)}"
        )
    data = read_file_bytes(path)
    bad = BadLines(path)
    lines = decode_lines(data, bad)
    # Rows are made as the behaviours are, not all first: each row's dict is
    # dropped once its behaviour is made (issue 12).
    rows: Iterable[tuple[int, Mapping[str, Any]]]
    if suffix == ".jsonl":
        rows = jsonl_objects(lines, bad)
    elif suffix == ".csv":
        rows = _csv_rows(lines, bad)
    else:
        rows = (
            (number, {"prompt": text.strip()})
            for number, text in enumerate(lines, start=1)
            if text.strip() and not text.lstrip().startswith("#")
        )
    behaviors = _behaviors_from_rows(
        rows,
        bad,
        source=source or path.name,
        license=license,
        default_expected=default_expected,
        default_category=default_category,
    )
    bad.raise_if_any()
    if not behaviors:
        raise ConfigError(f"{path}: no prompts in file")
    return behaviors


def _csv_rows(lines: list[str], bad: BadLines) -> Iterable[tuple[int, Mapping[str, Any]]]:
    header, rows = csv_records(lines, bad)
    columns = [name.lower() for name in header]
    if header and "prompt" not in columns:
        columns_text = ", ".join(header)
        if len(columns_text) > 120:
            columns_text = columns_text[:117] + "..."
        bad.add(1, f"no 'prompt' column in the header (columns: {columns_text})")
        return
    for number, row in rows:
        yield number, {key.lower(): value for key, value in row.items()}


def _behaviors_from_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    bad: BadLines,
    *,
    source: str,
    license: str | None,
    default_expected: str,
    default_category: str,
) -> list[Behavior]:
    behaviors: list[Behavior] = []
    first_line_of_id: dict[str, int] = {}
    for number, row in rows:
        fields = _row_fields(number, row, bad)
        if fields is None:
            continue
        prompt = fields["prompt"]
        behavior_id = fields.get("id") or default_prompt_id(number, prompt)
        if behavior_id in first_line_of_id:
            bad.add(
                number,
                f"duplicate id {behavior_id!r} (first on line {first_line_of_id[behavior_id]})",
            )
            continue
        first_line_of_id[behavior_id] = number
        category = fields.get("category") or default_category
        behaviors.append(
            Behavior(
                id=behavior_id,
                prompt=prompt,
                category=category.lower() if category.lower() in HAZARDS else category,
                expected=cast(Expected, fields.get("expected") or default_expected),
                source=source,
                license=license,
                tags=fields.get("tags", []),
                system_prompt=fields.get("system_prompt"),
                metadata={"line": number, **fields.get("metadata", {})},
            )
        )
    return behaviors


def _row_fields(number: int, row: Mapping[str, Any], bad: BadLines) -> dict[str, Any] | None:
    """The checked fields of one row, or None after recording what is wrong with it."""
    problems: list[str] = []
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in row.items():
        if key in KNOWN_FIELDS:
            continue
        close = difflib.get_close_matches(str(key), KNOWN_FIELDS, n=1, cutoff=0.75)
        if close:
            problems.append(f"unknown field {key!r} (did you mean {close[0]!r}?)")
        else:
            extra[str(key)] = value
    prompt = row.get("prompt")
    if prompt is None:
        problems.append("missing field 'prompt'")
    elif not isinstance(prompt, str):
        problems.append(f"field 'prompt' must be a string, got {type(prompt).__name__}")
    elif not prompt.strip():
        problems.append("empty prompt")
    else:
        fields["prompt"] = prompt
    for name in ("id", "category", "system_prompt"):
        value = row.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            problems.append(f"field {name!r} must be a string, got {type(value).__name__}")
        else:
            fields[name] = str(value).strip()
    expected = row.get("expected")
    if expected not in (None, ""):
        if isinstance(expected, str) and expected.strip().lower() in EXPECTED_VALUES:
            fields["expected"] = expected.strip().lower()
        else:
            problems.append(f"unknown expected value {expected!r} (use refuse or comply)")
    tags = _tags(row.get("tags"))
    if tags is None:
        problems.append("field 'tags' must be a list of strings")
    else:
        fields["tags"] = tags
    metadata = row.get("metadata")
    if metadata not in (None, "") and not isinstance(metadata, dict):
        problems.append("field 'metadata' must be an object")
    else:
        fields["metadata"] = {**extra, **(metadata or {})}
    for problem in problems:
        bad.add(number, problem)
    return None if problems else fields


def _tags(value: Any) -> list[str] | None:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        # CSV cells hold tags as "a;b" (commas would need quoting).
        return [tag.strip() for tag in value.replace(",", ";").split(";") if tag.strip()]
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return value
    return None
