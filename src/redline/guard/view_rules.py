"""Reading the rules files of the views that find a request inside a text
(``creative_requests.yaml``, ``tense_requests.yaml``): lists of words, whole numbers,
and a regular-expression group for a list of phrases. Errors name the file and the
field.
"""

from __future__ import annotations

import re
from typing import Any

from redline.core.errors import ConfigError


def check_version(document: Any, source: str) -> dict[str, Any]:
    """``document`` when it is a mapping with ``version: 1``; ConfigError otherwise."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ConfigError(f"{source}: expected a mapping with 'version: 1'")
    return document


def phrase_list(document: dict[str, Any], key: str, source: str) -> list[str]:
    """The non-empty list of words or phrases at ``key``, lower-cased."""
    value = document.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ConfigError(f"{source}: {key!r} must be a non-empty list of words")
    return [v.strip().lower() for v in value]


def whole_number(document: dict[str, Any], key: str, source: str) -> int:
    """The whole number of 1 or more at ``key``."""
    value = document.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{source}: {key!r} must be a whole number of 1 or more, not {value!r}")
    return value


def alternatives(phrases: list[str]) -> str:
    """A group matching any of ``phrases`` (longest first, spaces as any run of
    spaces), word by word."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered) + ")"
