"""Threat rules (threat_rules.yaml), checked: every catalogue id must exist in
redline's spec catalogues, every attack family in attacks/families.yaml, every
agent suite among redline's agent suites (``redline agent list``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from redline.agents import load_suite, suite_names
from redline.attacks import FAMILIES
from redline.core.config_files import YamlDocument, parse_yaml, read_yaml
from redline.spec import load_catalogue
from redline.threat_model.system_file import Capability, ElementKind

StrideLetter = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleCondition(_Strict):
    element: list[ElementKind]
    capabilities_any: list[Capability] = Field(default_factory=list)
    kind_any: list[str] = Field(default_factory=list)
    source_any: list[str] = Field(default_factory=list)
    sensitive: bool | None = None
    reaches_all: list[Capability] = Field(default_factory=list)
    crosses_boundary: bool | None = None
    from_element: list[ElementKind] = Field(default_factory=list)
    to_element: list[ElementKind] = Field(default_factory=list)


class RuleTests(_Strict):
    """What in redline exercises a threat."""

    attack_families: list[str] = Field(default_factory=list)
    agent_suites: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)


class ThreatRule(_Strict):
    id: str
    title: str
    stride: list[str]
    when: RuleCondition
    ids: dict[str, list[str]] = Field(default_factory=dict)
    tests: RuleTests = Field(default_factory=RuleTests)
    mitigation: str = ""


class ThreatRules(_Strict):
    stride: dict[str, str]
    stride_per_element: dict[ElementKind, list[str]]
    rules: list[ThreatRule]


def _check(document: YamlDocument, rules: ThreatRules, suites: dict[str, str]) -> None:
    for index, rule in enumerate(rules.rules):
        for letter in rule.stride:
            if letter not in rules.stride:
                raise document.error(
                    ("rules", index, "stride"), f"unknown STRIDE letter {letter!r}"
                )
        for framework, idents in rule.ids.items():
            catalogue = load_catalogue(framework)  # ConfigError names unknown frameworks
            for ident in idents:
                if catalogue.find(ident) is None:
                    raise document.error(
                        ("rules", index, "ids", framework), catalogue.unknown_message(ident)
                    )
        for family in rule.tests.attack_families:
            if family not in FAMILIES:
                raise document.error(
                    ("rules", index, "tests", "attack_families"),
                    f"unknown attack family {family!r} (known: {', '.join(sorted(FAMILIES))})",
                )
        for suite in rule.tests.agent_suites:
            if suite not in suites:
                raise document.error(
                    ("rules", index, "tests", "agent_suites"),
                    f"unknown agent suite {suite!r} (known: {', '.join(sorted(suites))})",
                )


@cache
def agent_suites() -> dict[str, str]:
    """Agent suite names and what each covers, from the suites themselves."""
    return {name: load_suite(name).description for name in suite_names()}


def load_threat_rules(path: Path | None = None) -> ThreatRules:
    """The shipped rules, or a rules file of the same shape; checked whole."""
    if path is None:
        text = resources.files("redline.threat_model").joinpath("threat_rules.yaml")
        document = parse_yaml(text.read_text("utf-8"), path=Path("threat_rules.yaml"))
    else:
        document = read_yaml(path, what="threat rules file")
    rules = document.validate(ThreatRules, description="threat rules")
    _check(document, rules, agent_suites())
    return rules
