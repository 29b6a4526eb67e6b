"""Loading the detectors' phrase lists from their data files (package data)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it: the same documents, ~10x
# faster than the pure-Python one (9 -> 1 ms for the guard's two phrase files,
# read at import).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` of ``text``, with libyaml when it is there."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def load_data_file(name: str) -> Any:
    """The parsed YAML file ``name`` from ``redline/detectors/data``."""
    text = resources.files("redline.detectors").joinpath("data", name).read_text("utf-8")
    return load_yaml(text)


def compile_alternatives(patterns: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of ``patterns`` (None when empty)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
