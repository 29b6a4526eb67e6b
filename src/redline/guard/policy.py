"""The guard policy: which scanners run, on which side, at what threshold, and
what happens when a category fires. Loaded from YAML and validated with errors
that name the file, line and field."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from redline.core import ConfigError
from redline.guard.cascade import CascadePolicy
from redline.guard.scanner import Side

_BOTH_SIDES: tuple[Side, ...] = ("input", "output")

Action = Literal["allow", "flag", "redact", "block"]
ACTION_RANK: dict[str, int] = {"allow": 0, "flag": 1, "redact": 2, "block": 3}
OnError = Literal["fail_open", "fail_closed"]

DEFAULT_POLICY_FILE = "default_policy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryRule(_Strict):
    """Overrides for one category of one scanner."""

    action: Action | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)


class ScannerPolicy(_Strict):
    """How one scanner runs. ``threshold: null`` uses the classifier's own tuned
    thresholds where it has them, else 0.5."""

    enabled: bool = True
    sides: list[Side] | None = None
    action: Action = "block"
    threshold: float | None = Field(default=0.5, ge=0.0, le=1.0)
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    on_error: OnError | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class PatternRule(_Strict):
    """A custom regular expression. In ``deny`` it is a finding with ``action``;
    in ``allow`` the text it matches is exempt from span findings (PII, secrets,
    deny patterns) such as a company's own support address."""

    pattern: str
    name: str | None = None
    action: Action = "block"
    sides: list[Side] = Field(default_factory=lambda: list(_BOTH_SIDES))
    ignore_case: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)


class PatternPolicy(_Strict):
    deny: list[PatternRule] = Field(default_factory=list)
    allow: list[PatternRule] = Field(default_factory=list)


class LimitsPolicy(_Strict):
    """Texts longer than ``max_chars`` are cut to it (``truncate``) or scanned in
    overlapping chunks of that size (``chunk``)."""

    max_chars: int = Field(default=100_000, ge=1_000)
    oversize: Literal["truncate", "chunk"] = "chunk"
    chunk_overlap: int = Field(default=200, ge=0)


class Policy(_Strict):
    """A whole guard policy; see docs/guard.md for every field."""

    version: Literal[1] = 1
    on_error: OnError = "fail_closed"
    refusal_message: str = "Sorry, I can't help with that."
    limits: LimitsPolicy = Field(default_factory=LimitsPolicy)
    scanners: dict[str, ScannerPolicy] = Field(default_factory=dict)
    patterns: PatternPolicy = Field(default_factory=PatternPolicy)
    # Optional: send what the CPU scanners are unsure about to a guard model.
    cascade: CascadePolicy | None = None
    # Sides this policy leaves unchecked on purpose. A side with no scanner on it is an
    # error unless it is listed here, so a partial file cannot turn the guard off.
    disabled: list[Side] = Field(default_factory=list)

    # Where each field came from, for error messages raised after validation.
    _source: str = PrivateAttr(default="<policy>")
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        return self._source

    def locate(self, source: str, lines: dict[tuple[str | int, ...], int]) -> Policy:
        """Remember where this policy was read from (used by :meth:`where`)."""
        self._source = source
        self._lines = lines
        return self

    def where_top(self, key: str) -> str:
        """``file:line: key`` for a top-level field, or the start of the file when the
        policy does not have it."""
        line = self._lines.get((key,), self._lines.get((), 1))
        return f"{self._source}:{line}: {key}"

    def where(self, *loc: str | int) -> str:
        """``file:line: a.b.c`` for a field path, as precise as the YAML allows."""
        for cut in range(len(loc), 0, -1):
            line = self._lines.get(tuple(loc[:cut]))
            if line is not None:
                return f"{self._source}:{line}: {'.'.join(str(p) for p in loc)}"
        return f"{self._source}: {'.'.join(str(p) for p in loc)}"


def _node_lines(
    node: yaml.Node, prefix: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]
) -> None:
    out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            out[path] = key.start_mark.line + 1
            _node_lines(value, path, out)
            out[path] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*prefix, index), out)


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Validate policy YAML; every problem is a ConfigError naming file, line and field."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{line}: invalid YAML: {problem}") from None
    lines: dict[tuple[str | int, ...], int] = {}
    if root is not None:
        _node_lines(root, (), lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: a policy is a mapping of fields, got {type(data).__name__}")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        probe = Policy().locate(source, lines)
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{probe.where(*loc)}: {error['msg']}{more}") from None
    return policy.locate(source, lines)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: policy file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: policy file is not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read policy file: {exc.strerror}") from None
    return parse_policy(text, source=str(file))


def default_policy_text() -> str:
    """The shipped, commented default policy."""
    return files("redline.guard").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")


def default_policy() -> Policy:
    return parse_policy(default_policy_text(), source=f"redline/guard/{DEFAULT_POLICY_FILE}")
