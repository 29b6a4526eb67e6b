"""Reading a tool's JSON Lines output with line numbers and byte progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from redline.importers.imported_run import ImportFormatError


def iter_json_objects(
    path: Path, *, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; anything else is an error at FILE:LINE."""
    read = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            read += len(raw)
            if progress is not None:
                progress(read)
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ImportFormatError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(value, dict):
                raise ImportFormatError(f"{path}:{number}: expected a JSON object per line")
            yield number, value
