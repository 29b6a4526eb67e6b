"""Reading YAML config files with errors that name the file, line and field.

The one implementation every config reader uses (campaigns, specs, regression suites and
policy books, HTTP target files, guard policies): :func:`read_yaml` parses a file into a
:class:`YamlDocument` that keeps the YAML node tree beside the data, so any later check
can say ``FILE:LINE: field: problem`` through :meth:`YamlDocument.error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from redline.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


# A config field holding a regular expression: a bad one is a FILE:LINE error.
RegexText = Annotated[str, AfterValidator(_compiles)]

# pydantic puts validator names into error locations; they are not keys in the file.
_VALIDATOR_LOC_PARTS = frozenset({"function-after", "function-before", "function-wrap"})


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its closest present parent.

    For a mapping entry the line is the key's, which is where a reader looks.
    """
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if getattr(key, "value", None) == str(part):
                    child, line = value, key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: its data, and its node tree for line numbers in errors."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: tuple[int | str, ...]) -> int | None:
        return _line_of(self.root, loc)

    def where(self, loc: tuple[int | str, ...] = ()) -> str:
        """``FILE:LINE`` of ``loc`` (``FILE`` alone when no line is known)."""
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, loc: tuple[int | str, ...], message: str) -> ConfigError:
        """A ConfigError ``FILE:LINE: field: message`` for the value at ``loc``."""
        field = ".".join(str(part) for part in loc) or "(top level)"
        return ConfigError(f"{self.where(loc)}: {field}: {message}")

    def mapping(self, description: str) -> dict[str, Any]:
        """The data as a mapping, or a ConfigError saying what the file should hold."""
        if self.data is None:
            raise ConfigError(f"{self.path}: the file is empty")
        if not isinstance(self.data, dict):
            raise ConfigError(
                f"{self.path}:1: expected {description}, got {type(self.data).__name__}"
            )
        return self.data

    def validate(
        self, model: type[M], *, description: str = "a mapping of settings", max_errors: int = 5
    ) -> M:
        """Validate the data as ``model``; each problem is reported as ``FILE:LINE: field``."""
        data = self.mapping(description)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = []
            for error in exc.errors()[:max_errors]:
                loc = tuple(p for p in error["loc"] if p not in _VALIDATOR_LOC_PARTS)
                # pydantic prefixes the message of a ValueError raised in a validator.
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "extra_forbidden":
                    message = f"unknown field (known: {', '.join(model.model_fields)})"
                problems.append(str(self.error(loc, message)))
            if exc.error_count() > max_errors:
                problems.append(f"(and {exc.error_count() - max_errors} more)")
            raise ConfigError("; ".join(problems)) from None


def parse_yaml(text: str, *, path: Path) -> YamlDocument:
    """Parse YAML ``text`` (``path`` names it in errors)."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    return YamlDocument(path=path, data=data, root=root)


def read_text_file(path: Path, *, what: str = "file") -> str:
    """A UTF-8 file's text, or a ConfigError ``FILE: what not found`` / ``cannot read``."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from None


def read_yaml(path: Path, *, what: str = "file") -> YamlDocument:
    """Read and parse a YAML file; ``what`` names it in errors ("spec file", ...)."""
    path = Path(path)
    return parse_yaml(read_text_file(path, what=what), path=path)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` as YAML and validate it as ``model``.

    Every failure is a :class:`ConfigError` of the form ``FILE:LINE: field: problem``.
    """
    return read_yaml(path).validate(model)
