"""Threats per element: STRIDE per element kind, plus the LLM and agent rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redline.threat_model.rules import RuleCondition, RuleTests, ThreatRule, ThreatRules
from redline.threat_model.system_file import DataFlow, ElementKind, SystemDescription


@dataclass(frozen=True)
class Threat:
    """One threat to one element."""

    id: str
    element: str
    title: str
    stride: tuple[str, ...]
    ids: dict[str, list[str]] = field(default_factory=dict)
    tests: RuleTests = field(default_factory=RuleTests)
    mitigation: str = ""
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "element": self.element,
            "title": self.title,
            "stride": list(self.stride),
            "ids": self.ids,
            "tests": self.tests.model_dump(),
            "mitigation": self.mitigation,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Element:
    """An element of the diagram and of the threat tables."""

    id: str
    label: str
    kind: ElementKind
    boundary: str | None
    detail: str = ""


@dataclass
class ThreatModel:
    system: SystemDescription
    elements: list[Element]
    threats: list[Threat]

    def threats_of(self, element_id: str) -> list[Threat]:
        return [t for t in self.threats if t.element == element_id]


def _elements(system: SystemDescription) -> list[Element]:
    found = [
        Element(c.id, c.name or c.id, c.type, system.boundary_of(c.id), c.description)
        for c in system.components
    ]
    found += [
        Element(d.id, d.name or d.id, "data_store", system.boundary_of(d.id), d.kind)
        for d in system.data_stores
    ]
    found += [
        Element(
            t.id, t.name or t.id, "tool", system.boundary_of(t.id),
            ", ".join(c.replace("_", " ") for c in t.capabilities),
        )
        for t in system.tools
    ]  # fmt: skip
    found += [
        Element(
            f.id, f"{system.label(f.source)} → {system.label(f.target)}", "data_flow",
            None, f.data,
        )
        for f in system.flows()
    ]  # fmt: skip
    return found


def _reach(system: SystemDescription, element_id: str) -> set[str]:
    """Capabilities of the tools ``element_id`` exchanges data with."""
    tools = {t.id: t for t in system.tools}
    capabilities: set[str] = set()
    for flow in system.flows():
        for near, far in ((flow.source, flow.target), (flow.target, flow.source)):
            if near == element_id and far in tools:
                capabilities.update(tools[far].capabilities)
    return capabilities


def _flow_matches(system: SystemDescription, flow: DataFlow, when: RuleCondition) -> bool:
    kinds = system.kinds()
    if when.crosses_boundary is not None:
        crosses = system.boundary_of(flow.source) != system.boundary_of(flow.target)
        if crosses != when.crosses_boundary:
            return False
    if when.from_element and kinds[flow.source] not in when.from_element:
        return False
    return not (when.to_element and kinds[flow.target] not in when.to_element)


def _matches(system: SystemDescription, element: Element, when: RuleCondition) -> bool:
    if element.kind not in when.element:
        return False
    if element.kind == "data_flow":
        flow = next(f for f in system.flows() if f.id == element.id)
        return _flow_matches(system, flow, when)
    tool = next((t for t in system.tools if t.id == element.id), None)
    store = next((d for d in system.data_stores if d.id == element.id), None)
    if when.capabilities_any and not (tool and set(tool.capabilities) & set(when.capabilities_any)):
        return False
    if when.source_any and not (tool and tool.source in when.source_any):
        return False
    if when.kind_any and not (store and store.kind in when.kind_any):
        return False
    if when.sensitive is not None and not (store and store.sensitive == when.sensitive):
        return False
    return not (when.reaches_all and not set(when.reaches_all) <= _reach(system, element.id))


def _stride_threats(rules: ThreatRules, element: Element) -> list[Threat]:
    return [
        Threat(
            id=f"{element.id}:{letter}",
            element=element.id,
            title=f"{rules.stride[letter]} of {element.label}",
            stride=(letter,),
            rule="stride",
        )
        for letter in rules.stride_per_element.get(element.kind, [])
    ]


def _rule_threat(rule: ThreatRule, element: Element) -> Threat:
    return Threat(
        id=f"{element.id}:{rule.id}",
        element=element.id,
        title=rule.title,
        stride=tuple(rule.stride),
        ids=rule.ids,
        tests=rule.tests,
        mitigation=rule.mitigation,
        rule=rule.id,
    )


def build_threat_model(system: SystemDescription, rules: ThreatRules) -> ThreatModel:
    """Every element's threats: the specific rules first, then its STRIDE row."""
    elements = _elements(system)
    threats: list[Threat] = []
    for element in elements:
        threats += [
            _rule_threat(rule, element)
            for rule in rules.rules
            if _matches(system, element, rule.when)
        ]
        threats += _stride_threats(rules, element)
    return ThreatModel(system=system, elements=elements, threats=threats)
