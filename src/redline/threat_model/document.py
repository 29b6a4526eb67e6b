"""The threat model written out: Markdown, HTML (the diagram inline) and JSON.

Both text formats are rendered from the same tables (:class:`Section`), so they
cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from redline.threat_model.diagram import render_svg
from redline.threat_model.results import MeasuredResults
from redline.threat_model.threats import Threat, ThreatModel

FRAMEWORK_COLUMNS = (("owasp_llm", "OWASP LLM"), ("owasp_agentic", "OWASP agentic"),
                     ("mitre_atlas", "ATLAS"))  # fmt: skip
DIAGRAM_FILE = "data-flows.svg"


@dataclass
class Section:
    title: str
    level: int = 2
    text: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # after the table


def _tested_by(threat: Threat) -> str:
    tests = threat.tests
    parts = [f"attacks: {', '.join(tests.attack_families)}"] if tests.attack_families else []
    if tests.agent_suites:
        parts.append(f"agent suites: {', '.join(tests.agent_suites)}")
    parts += tests.commands
    return "; ".join(parts) or "none yet"


def _results(threat: Threat, results: MeasuredResults) -> str:
    found = results.for_tests(threat.tests.attack_families, threat.tests.agent_suites)
    return "; ".join(found) or "-"


def threat_status(threat: Threat, results: MeasuredResults) -> str:
    """``measured`` (a run has results for its tests), ``tested`` (redline has tests
    for it, not run yet) or ``untested`` (no redline test exercises it)."""
    if results.for_tests(threat.tests.attack_families, threat.tests.agent_suites):
        return "measured"
    return "untested" if _tested_by(threat) == "none yet" else "tested"


def sections(model: ThreatModel, results: MeasuredResults) -> list[Section]:
    system = model.system
    boundaries = {b.id: b.name or b.id for b in system.trust_boundaries}
    elements = Section("Elements", header=["id", "name", "kind", "trust boundary", "detail"])
    flows = Section("Data flows", header=["flow", "from", "to", "data", "crosses a boundary"])
    for element in model.elements:
        if element.kind == "data_flow":
            continue
        elements.rows.append([
            element.id, element.label, element.kind.replace("_", " "),
            boundaries.get(element.boundary or "", "-"), element.detail,
        ])  # fmt: skip
    for flow in system.flows():
        crosses = system.boundary_of(flow.source) != system.boundary_of(flow.target)
        flows.rows.append([
            flow.id, system.label(flow.source), system.label(flow.target), flow.data,
            "yes" if crosses else "no",
        ])  # fmt: skip
    out = [elements, flows]
    specific = [t for t in model.threats if t.rule != "stride"]
    tested = [
        t for t in specific if t.tests.attack_families or t.tests.agent_suites or t.tests.commands
    ]
    with_results = [t for t in specific if _results(t, results) != "-"]
    summary = Section("Summary", text=[
        f"{len(model.elements)} elements, {len(model.threats)} threats: {len(specific)} "
        f"from the LLM and agent rules, {len(model.threats) - len(specific)} from STRIDE per "
        f"element. {len(tested)} of the {len(specific)} rule threats are exercised by redline "
        f"tests; {len(with_results)} have measured results (attack runs and agent runs).",
    ])  # fmt: skip
    out.insert(0, summary)
    out.append(Section("Threats by element", text=[
        "Each element's LLM and agent threats with catalogue ids and the redline tests that "
        "exercise them, then its STRIDE-per-element row.",
    ]))  # fmt: skip
    for element in model.elements:
        threats = model.threats_of(element.id)
        rule_threats = [t for t in threats if t.rule != "stride"]
        stride = [t for t in threats if t.rule == "stride"]
        section = Section(f"{element.label} ({element.kind.replace('_', ' ')}, {element.id})",
                          level=3)  # fmt: skip
        if rule_threats:
            section.header = ["threat", "STRIDE", *[name for _, name in FRAMEWORK_COLUMNS],
                              "tested by", "latest result", "mitigation"]  # fmt: skip
            for threat in rule_threats:
                section.rows.append([
                    threat.title, "".join(threat.stride),
                    *[", ".join(threat.ids.get(key, [])) or "-" for key, _ in FRAMEWORK_COLUMNS],
                    _tested_by(threat), _results(threat, results), threat.mitigation,
                ])  # fmt: skip
        if stride:
            section.notes.append("STRIDE: " + "; ".join(t.title for t in stride) + ".")
        out.append(section)
    untested = [t for t in specific if _tested_by(t) == "none yet"]
    if untested:
        out.append(Section("Threats no redline test exercises yet", header=["element", "threat"],
                           rows=[[t.element, t.title] for t in untested]))  # fmt: skip
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(model: ThreatModel, results: MeasuredResults) -> str:
    lines = [f"# Threat model: {model.system.name}", ""]
    if model.system.description:
        lines += [model.system.description.strip(), ""]
    lines += [f"![Data-flow diagram]({DIAGRAM_FILE})", ""]
    for section in sections(model, results):
        lines += ["#" * section.level + " " + section.title, ""]
        for paragraph in section.text:
            lines += [paragraph, ""]
        if section.header:
            lines.append("| " + " | ".join(section.header) + " |")
            lines.append("|" + "---|" * len(section.header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in section.rows]
            lines.append("")
        for paragraph in section.notes:
            lines += [paragraph, ""]
    return "\n".join(lines)


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.diagram { overflow-x: auto; border: 1px solid #eee; padding: 8px; }
"""


def render_html(model: ThreatModel, results: MeasuredResults) -> str:
    name = escape(model.system.name)
    body = [f"<h1>Threat model: {name}</h1>"]
    if model.system.description:
        body.append(f"<p>{escape(model.system.description.strip())}</p>")
    body.append(f'<div class="diagram">{render_svg(model)}</div>')
    for section in sections(model, results):
        body.append(f"<h{section.level}>{escape(section.title)}</h{section.level}>")
        body += [f"<p>{escape(p)}</p>" for p in section.text]
        if section.header:
            head = "".join(f"<th>{escape(h)}</th>" for h in section.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                for row in section.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        body += [f"<p>{escape(p)}</p>" for p in section.notes]
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Threat model: {name}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def model_document(model: ThreatModel, results: MeasuredResults) -> dict[str, Any]:
    """The threat model as one JSON-serialisable document."""
    return {
        "system": model.system.name,
        "elements": [e.__dict__ for e in model.elements],
        "threats": [
            {**t.to_dict(), "status": threat_status(t, results), "results": _results(t, results)}
            for t in model.threats
        ],
        "results": {family: r.to_dict() for family, r in results.families.items()},
        "agent_suite_results": {suite: r.to_dict() for suite, r in results.suites.items()},
    }


@dataclass(frozen=True)
class WrittenThreatModel:
    """Where the files went, and the counts a summary prints."""

    markdown: Path
    html: Path
    svg: Path
    json: Path
    elements: int
    threats: int
    rule_threats: int
    untested: int
    results: int
    agent_results: int
    measured: int

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in self.__dict__.items()}


def write_outputs(model: ThreatModel, results: MeasuredResults, output: Path) -> WrittenThreatModel:
    output.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": output / "threat-model.md",
        "html": output / "threat-model.html",
        "svg": output / DIAGRAM_FILE,
        "json": output / "threat-model.json",
    }
    paths["svg"].write_text(render_svg(model), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(model, results), encoding="utf-8")
    paths["html"].write_text(render_html(model, results), encoding="utf-8")
    paths["json"].write_text(json.dumps(model_document(model, results), indent=2), "utf-8")
    specific = [t for t in model.threats if t.rule != "stride"]
    return WrittenThreatModel(
        **paths,
        elements=len(model.elements),
        threats=len(model.threats),
        rule_threats=len(specific),
        untested=sum(1 for t in specific if threat_status(t, results) == "untested"),
        results=len(results.families),
        agent_results=len(results.suites),
        measured=sum(1 for t in specific if threat_status(t, results) == "measured"),
    )
