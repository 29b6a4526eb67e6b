"""Loading the detectors' phrase lists from their data files (package data)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import yaml


def load_data_file(name: str) -> Any:
    """The parsed YAML file ``name`` from ``redline/detectors/data``."""
    text = resources.files("redline.detectors").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


def compile_alternatives(patterns: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of ``patterns`` (None when empty)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
