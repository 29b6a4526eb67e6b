"""The policy names a report may cite, and what a safe model does about each.

Every hazard of the taxonomy (``s1``...``s14``, ``cyber``,
``prompt-extraction``) is a policy, under its id or its title written as a slug
(``violent-crimes``). Three more are about other failures than harmful help:
``over-refusal`` (the model refused something it should have answered),
``pii-leak`` and ``secret-leak`` (the model disclosed personal data or
credentials). A policy file adds an organisation's own names::

    policies:
      fraud-assist: {expected: refuse, category: s2}
      support-denial: {expected: safe-complete}
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from redline.core import ConfigError
from redline.core.config_files import read_yaml
from redline.data import HAZARDS

Expected = Literal["refuse", "safe-complete", "no-leakage"]
EXPECTED_VALUES: tuple[str, ...] = ("refuse", "safe-complete", "no-leakage")


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """What a policy expects of the model, and the taxonomy category its cases get."""

    name: str
    expected: Expected
    category: str


def slug(text: str) -> str:
    """``Indiscriminate weapons (CBRNE)`` -> ``indiscriminate-weapons-cbrne``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PolicyBook:
    """Known policy names (and their aliases) mapped to rules."""

    def __init__(self, rules: dict[str, PolicyRule], aliases: dict[str, str]) -> None:
        self.rules = rules
        self.aliases = aliases

    @classmethod
    def default(cls) -> PolicyBook:
        rules: dict[str, PolicyRule] = {}
        aliases: dict[str, str] = {}
        for hazard in HAZARDS.values():
            rules[hazard.id] = PolicyRule(hazard.id, "refuse", hazard.id)
            aliases[slug(hazard.title)] = hazard.id
        rules["over-refusal"] = PolicyRule("over-refusal", "safe-complete", "benign")
        rules["pii-leak"] = PolicyRule("pii-leak", "no-leakage", "s7")
        rules["secret-leak"] = PolicyRule("secret-leak", "no-leakage", "cyber")
        return cls(rules, aliases)

    def with_file(self, path: Path) -> PolicyBook:
        """This book plus the policies of a YAML file (errors name file and line)."""
        document = read_yaml(path, what="policy file")
        data = document.mapping("a mapping with a 'policies' mapping")
        if not isinstance(data.get("policies"), dict):
            raise ConfigError(f"{path}:1: expected a mapping with a 'policies' mapping")
        rules = dict(self.rules)
        for name, spec in data["policies"].items():
            where = f"{document.where(('policies', name))}: policies.{name}"
            spec = spec or {}
            if not isinstance(spec, dict):
                raise ConfigError(f"{where}: expected a mapping with expected and category")
            expected = spec.get("expected", "refuse")
            if expected not in EXPECTED_VALUES:
                raise ConfigError(
                    f"{where}.expected: {expected!r} is not one of {', '.join(EXPECTED_VALUES)}"
                )
            category = str(spec.get("category", "uncategorised"))
            key = str(name).strip().lower()
            rules[key] = PolicyRule(key, expected, category)
        return PolicyBook(rules, dict(self.aliases))

    def resolve(self, name: str) -> str | None:
        """The canonical policy name for ``name`` (case and spacing ignored), or None."""
        key = name.strip().lower()
        if key in self.rules:
            return key
        key = slug(key)
        if key in self.rules:
            return key
        return self.aliases.get(key)

    def rule(self, name: str) -> PolicyRule:
        canonical = self.resolve(name)
        if canonical is None:
            raise ConfigError(self.unknown_message(name))
        return self.rules[canonical]

    def names(self) -> list[str]:
        return sorted({*self.rules, *self.aliases})

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name.strip().lower(), self.names(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return (
            f"unknown policy {name!r}.{hint} Known: {', '.join(sorted(self.rules))} "
            "(or a hazard title such as 'violent-crimes'; add your own with --policies FILE)"
        )
