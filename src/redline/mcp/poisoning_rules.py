"""The tool-poisoning rules (poisoning_rules.yaml), loaded and compiled."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from redline.core.config_files import RegexText, parse_yaml, read_yaml

Severity = Literal["low", "medium", "high"]
SEVERITY_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3}


class PoisoningRule(BaseModel):
    """One pattern: what it means (category, severity, message) and the regex."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    category: str
    severity: Severity
    message: str
    pattern: RegexText

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


class PoisoningRules(BaseModel):
    """Every rule, the tool names that count as shadowing targets, guard severities."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: list[PoisoningRule]
    well_known_tools: list[str] = Field(default_factory=list)
    guard_severity: dict[str, Severity] = Field(default_factory=dict)
    max_description_chars: int = 1500


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def load_rules(path: Path | None = None) -> PoisoningRules:
    """The shipped rules, or a rules file of the same shape (FILE:LINE errors)."""
    if path is None:
        text = resources.files("redline.mcp").joinpath("poisoning_rules.yaml").read_text("utf-8")
        return parse_yaml(text, path=Path("poisoning_rules.yaml")).validate(PoisoningRules)
    return read_yaml(path, what="rules file").validate(PoisoningRules)
