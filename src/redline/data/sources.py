"""One entry point for "where do the prompts come from": a suite name or a file."""

from __future__ import annotations

from pathlib import Path

from redline.core.errors import ConfigError, UnknownNameError
from redline.core.records import Behavior
from redline.data.public_formats import load_dataset
from redline.data.suites import SUITES, load_suite


def load_behaviors(source: str | Path, *, license: str | None = None) -> list[Behavior]:
    """The behaviours named by ``source``: a suite name (``default``, ``demo``...)
    or the path of a prompts file or public dataset (format detected).

    A missing file is a ConfigError; a word that is neither is an
    UnknownNameError that suggests the closest suite names.
    """
    text = str(source)
    if not isinstance(source, Path) and text in SUITES:
        return load_suite(text)
    path = Path(source)
    if path.exists():
        return load_dataset(path, license=license)
    if isinstance(source, Path) or any(sep in text for sep in ("/", "\\", ".")):
        raise ConfigError(f"{path}: no such file")
    raise UnknownNameError(SUITES.unknown_message(text) + " Or give the path of a prompts file.")
