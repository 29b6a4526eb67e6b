"""Which importer reads which tool's files, and the one call that imports a file."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from redline.core import ConfigError
from redline.importers import garak, inspect_logs, promptfoo
from redline.importers.imported_run import Importer, ImportResult, write_imported_run
from redline.store import RunStore

READERS: dict[str, Importer] = {
    "garak": garak.read,
    "promptfoo": promptfoo.read,
    "inspect": inspect_logs.read,
}


def import_run(
    tool: str,
    path: Path,
    *,
    store: RunStore,
    name: str | None = None,
    success_value: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Read ``path`` as ``tool`` writes it and store it as a new run.

    ``progress`` is called with how far the reader has got (bytes, or samples
    for zipped Inspect logs). A file that does not parse raises
    :class:`~redline.importers.imported_run.ImportFormatError` naming FILE:LINE.
    ``success_value`` (Inspect only) is the raw score value that means the
    attack succeeded; see :mod:`redline.importers.inspect_logs`.
    """
    if tool not in READERS:
        raise ConfigError(f"unknown tool {tool!r}: choose one of {', '.join(READERS)}")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    reader = READERS[tool]
    if success_value is not None:
        if tool != "inspect":
            raise ConfigError(
                f"success_value applies to Inspect logs only; {tool} results say "
                "pass/fail themselves"
            )
        reader = partial(inspect_logs.read, success_value=success_value)
    source = reader(path, progress=progress)
    return write_imported_run(source, path, store=store, name=name)
