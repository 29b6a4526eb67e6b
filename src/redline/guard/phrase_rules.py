"""Weighted phrase rules: the heuristic half of the jailbreak and injection scanners.

The rules live in data files, ``guard/data/*_phrases.yaml`` (their header says
what each field means); ``load_phrase_rules`` reads and checks one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from redline.core.errors import ConfigError
from redline.detectors.phrase_file import load_yaml
from redline.guard.scanner import Span, combine_independent

RULE_FIELDS = frozenset({"name", "weight", "pattern", "triggers", "hint", "indirect_only"})


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """``triggers``: lower-case substrings one of which every match contains; a
    substring test is ~50x cheaper than the regex, so most rules never run.

    ``hint``: a case-sensitive pattern that every match, lower-cased, contains,
    tried on the lower-cased text when the text is ASCII (where ``(?i)`` is just
    lower-casing). Common words pass the triggers ("ai" is in "said"); the hint
    has no ``\\b`` or ``(?i)`` in front and starts each alternative with a
    letter, so the regex engine skips to candidate positions: ~25 us per 1,000
    characters where the rule's own pattern takes ~130 us.
    """

    name: str
    pattern: re.Pattern[str]
    weight: float
    triggers: tuple[str, ...] = ()
    hint: re.Pattern[str] | None = None
    # Counts only in text from a tool, document or function (the injection rules).
    indirect_only: bool = False


def rule(
    name: str,
    pattern: str,
    weight: float,
    *,
    triggers: tuple[str, ...] = (),
    hint: str = "",
    indirect_only: bool = False,
) -> PhraseRule:
    return PhraseRule(
        name,
        re.compile(pattern, re.IGNORECASE),
        weight,
        triggers,
        re.compile(hint) if hint else None,
        indirect_only,
    )


def load_phrase_rules(file_name: str) -> tuple[PhraseRule, ...]:
    """The rules of ``redline/guard/data/<file_name>``, in file order.

    A bad rule is a ``ConfigError`` naming the file, the rule's position and
    name and what is wrong with it; no rule of a bad file is used.
    """
    text = resources.files("redline.guard").joinpath("data", file_name).read_text("utf-8")
    try:
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file_name}: not valid YAML: {exc}") from exc
    return parse_phrase_rules(document, file_name)


def parse_phrase_rules(document: Any, source: str) -> tuple[PhraseRule, ...]:
    """Rules from a parsed phrase-rule document (``source`` names it in errors)."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ConfigError(f"{source}: expected a mapping with 'version: 1' and 'rules'")
    entries = document.get("rules")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: 'rules' must be a non-empty list")
    rules = [_parse_rule(entry, f"{source}: rules[{i}]") for i, entry in enumerate(entries)]
    seen: set[str] = set()
    for i, item in enumerate(rules):
        if item.name in seen:
            raise ConfigError(f"{source}: rules[{i}]: the name {item.name!r} is used twice")
        seen.add(item.name)
    return tuple(rules)


def _parse_rule(entry: Any, where: str) -> PhraseRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    where = f"{where} ({name!r})"
    unknown = set(entry) - RULE_FIELDS
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}")
    weight = entry.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
        raise ConfigError(f"{where}: 'weight' must be a number in (0, 1], got {weight!r}")
    triggers = entry.get("triggers", [])
    if not isinstance(triggers, list) or not all(
        isinstance(t, str) and t and t == t.lower() for t in triggers
    ):
        raise ConfigError(f"{where}: 'triggers' must be a list of lower-case strings")
    indirect_only = entry.get("indirect_only", False)
    if not isinstance(indirect_only, bool):
        raise ConfigError(f"{where}: 'indirect_only' must be true or false")
    patterns = {key: entry.get(key, "") for key in ("pattern", "hint")}
    for key, value in patterns.items():
        if not isinstance(value, str) or (key == "pattern" and not value):
            raise ConfigError(f"{where}: '{key}' must be a regular expression string")
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}: '{key}' is not a valid regular expression: {exc}") from exc
    return rule(
        name,
        patterns["pattern"],
        float(weight),
        triggers=tuple(triggers),
        hint=patterns["hint"],
        indirect_only=indirect_only,
    )


@dataclass(slots=True)
class PhraseHits:
    score: float
    rules: list[str]
    spans: list[Span]


def match_rules(
    rules: tuple[PhraseRule, ...], text: str, *, category: str, offset: int = 0
) -> PhraseHits:
    """Evidence from every rule that matches, combined as independent signals."""
    weights: list[float] = []
    names: list[str] = []
    spans: list[Span] = []
    lowered = text.lower()
    hints_hold = text.isascii()
    for item in rules:
        if item.triggers and not any(map(lowered.__contains__, item.triggers)):
            continue
        if hints_hold and item.hint is not None and item.hint.search(lowered) is None:
            continue
        match = item.pattern.search(text)
        if match is None:
            continue
        weights.append(item.weight)
        names.append(item.name)
        spans.append(Span(offset + match.start(), offset + match.end(), category, item.weight))
    return PhraseHits(score=combine_independent(weights), rules=names, spans=spans)
