"""Reading the ``config.json`` of a model artifact directory, with errors that
name the file and what is wrong (shared by the static embedding and the piece CNN)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redline.core.errors import ConfigError


def read_artifact_config(
    directory: Path, *, what: str, files: Sequence[str], expected_format: str
) -> dict[str, Any]:
    """``directory/config.json`` as a dict, once every name in ``files`` exists
    there and its ``format`` field is ``expected_format``; a ConfigError otherwise
    (``what`` names the artifact kind in the message)."""
    for name in ("config.json", *files):
        if not (directory / name).is_file():
            raise ConfigError(f"{what} {directory}: missing {name}")
    config_path = directory / "config.json"
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid JSON (line {exc.lineno})") from None
    if not isinstance(config, dict) or config.get("format") != expected_format:
        found = config.get("format") if isinstance(config, dict) else None
        raise ConfigError(
            f"{config_path}: field 'format' is {found!r}, expected {expected_format!r}"
        )
    return config
