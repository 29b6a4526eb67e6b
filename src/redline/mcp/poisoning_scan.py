"""Scanning MCP tool metadata for tool poisoning.

Every text a model reads about a tool (its name, its description, and every
string in its input schema: property names, descriptions, titles, defaults,
enum values) is checked by the guard's scanners, as a tool result the model
reads, and by the poisoning rules (poisoning_rules.yaml). Across tools and
servers, a tool whose description names another tool, or two servers offering
the same tool name, is reported as shadowing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from redline.core import Message
from redline.guard import Guard, Verdict, load_policy, parse_policy
from redline.guard.invisible_text import decode_tag_characters
from redline.mcp.client import McpServer, McpTool, fetch_tools
from redline.mcp.poisoning_rules import SEVERITY_ORDER, PoisoningRules, Severity, load_rules

_EVIDENCE_CHARS = 160
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")


@dataclass(frozen=True)
class PoisoningFinding:
    """One sign of poisoning: where (server, tool, field), what, and the text."""

    server: str
    tool: str
    field: str
    check: str
    category: str
    severity: Severity
    message: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class McpScanReport:
    """What a scan found, over every tool of every server scanned."""

    servers: list[str]
    tools: list[McpTool]
    findings: list[PoisoningFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def failing(self, fail_on: Severity) -> list[PoisoningFinding]:
        """Findings at or above ``fail_on``."""
        return [f for f in self.findings if SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on]]

    def flagged_tools(self) -> list[str]:
        return sorted({f"{f.tool}" for f in self.findings})

    def to_dict(self, *, fail_on: Severity = "medium") -> dict[str, Any]:
        return {
            "servers": self.servers,
            "tools": [
                {"server": t.server, "name": t.name, "description": t.description}
                for t in self.tools
            ],
            "counts": self.counts(),
            "fail_on": fail_on,
            "failed": bool(self.failing(fail_on)),
            "findings": [f.to_dict() for f in self.findings],
            "notes": self.notes,
        }


def visible(text: str) -> str:
    """``text`` with invisible and control characters written as escapes, cut short;
    Unicode tag runs also spelled out, since they hide ASCII."""
    decoded = " ".join(
        f"[tags spell: {decode_tag_characters(run)!r}]" for run in _TAG_RUN.findall(text)
    )
    shown = "".join(
        ch
        if unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Cn") or ch in "\n\t"
        else f"\\u{ord(ch):04x}"
        if ord(ch) <= 0xFFFF
        else f"\\U{ord(ch):08x}"
        for ch in text
    )
    shown = " ".join(shown.split())
    if len(shown) > _EVIDENCE_CHARS:
        shown = shown[: _EVIDENCE_CHARS - 1] + "…"
    return f"{decoded} {shown}".strip()


def tool_texts(tool: McpTool) -> Iterator[tuple[str, str]]:
    """(field, text) for every text a model reads about ``tool``."""
    yield "name", tool.name
    if tool.description:
        yield "description", tool.description
    yield from _schema_texts(tool.input_schema, "input_schema")


def _schema_texts(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _schema_texts(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for name, sub in value.items():
                    yield f"{path}.{key}.{name} (name)", str(name)
                    yield from _schema_texts(sub, f"{path}.{key}.{name}")
            elif key not in ("type", "$schema", "$ref", "format", "required"):
                yield from _schema_texts(value, f"{path}.{key}")


@cache
def _policy_text() -> str:
    return resources.files("redline.mcp").joinpath("guard_policy.yaml").read_text("utf-8")


def scan_guard(*, policy: Path | None = None, models: bool = True) -> Guard:
    """The guard a scan uses: the shipped flag-only policy (or ``policy``); with
    ``models=False`` the classifiers are off and only phrase rules run (faster)."""
    loaded = load_policy(policy) if policy else parse_policy(_policy_text(), source="mcp policy")
    if not models:
        for config in loaded.scanners.values():
            if "model" in config.options:
                config.options["model"] = "off"
    return Guard(loaded)


class PoisoningScanner:
    """Scans tool listings; one instance can scan many (the guard loads once)."""

    def __init__(self, *, guard: Guard, rules: PoisoningRules | None = None) -> None:
        self.guard = guard
        self.rules = rules or load_rules()

    def scan(self, tools: Sequence[McpTool], *, servers: Sequence[str] = ()) -> McpScanReport:
        report = McpScanReport(
            servers=list(servers) or sorted({t.server for t in tools}), tools=list(tools)
        )
        for name, reason in self.guard.skipped.items():
            report.notes.append(f"guard scanner {name} skipped: {reason}")
        for tool in tools:
            for field_name, text in tool_texts(tool):
                report.findings += self._rule_findings(tool, field_name, text)
                report.findings += self._guard_findings(tool, field_name, text)
            if len(tool.description) > self.rules.max_description_chars:
                report.findings.append(
                    _finding(tool, "description", "rule:long-description", "hidden_instructions",
                             "low", f"description is {len(tool.description)} characters long",
                             tool.description[-_EVIDENCE_CHARS:])
                )  # fmt: skip
        report.findings += self._shadowing(tools)
        report.findings.sort(
            key=lambda f: (-SEVERITY_ORDER[f.severity], f.server, f.tool, f.field, f.check)
        )
        return report

    def _rule_findings(self, tool: McpTool, field_name: str, text: str) -> list[PoisoningFinding]:
        found = []
        for rule in self.rules.rules:
            match = rule.regex.search(text)
            if match:
                found.append(
                    _finding(tool, field_name, f"rule:{rule.id}", rule.category, rule.severity,
                             rule.message, _around(text, match.start(), match.end()))
                )  # fmt: skip
        return found

    def _guard_findings(self, tool: McpTool, field_name: str, text: str) -> list[PoisoningFinding]:
        verdict: Verdict = self.guard.check_input([Message(role="tool", content=text)])
        found = []
        for item in verdict.findings:
            start, end = item.spans[0] if item.spans else (0, len(text))
            severity = self.rules.guard_severity.get(item.scanner, "medium")
            found.append(
                _finding(tool, field_name, f"guard:{item.scanner}/{item.category}", item.scanner,
                         severity, f"guard {item.scanner} ({item.category}) score {item.score:.2f}",
                         _around(text, start, end))
            )  # fmt: skip
        return found

    def _shadowing(self, tools: Sequence[McpTool]) -> list[PoisoningFinding]:
        found = []
        servers_by_name: dict[str, set[str]] = {}
        for tool in tools:
            servers_by_name.setdefault(tool.name, set()).add(tool.server)
        for tool in tools:
            others = servers_by_name[tool.name] - {tool.server}
            if others:
                found.append(
                    _finding(tool, "name", "shadowing:duplicate-name", "shadowing", "high",
                             f"other servers also offer {tool.name!r}: {', '.join(sorted(others))}",
                             tool.name)
                )  # fmt: skip
        names = set(servers_by_name) | set(self.rules.well_known_tools)
        # One alternation for every name (longest first): linear in the tools, where a
        # search per pair of tools took minutes for a server with 500 of them.
        mention = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            + r")(?![\w-])"
        )  # fmt: skip
        for tool in tools:
            mentioned: dict[str, re.Match[str]] = {}
            for match in mention.finditer(tool.description):
                if match.group(1) != tool.name:
                    mentioned.setdefault(match.group(1), match)
            for other, match in sorted(mentioned.items()):
                found.append(
                    _finding(tool, "description", "shadowing:mentions-tool", "shadowing",
                             "medium", f"the description refers to another tool, {other!r}",
                             _around(tool.description, match.start(), match.end()))
                )  # fmt: skip
        return found


def _finding(
    tool: McpTool,
    field_name: str,
    check: str,
    category: str,
    severity: Severity,
    message: str,
    evidence: str,
) -> PoisoningFinding:
    return PoisoningFinding(
        server=tool.server,
        tool=tool.name,
        field=field_name,
        check=check,
        category=category,
        severity=severity,
        message=message,
        evidence=visible(evidence),
    )


def _around(text: str, start: int, end: int, margin: int = 30) -> str:
    low, high = max(0, start - margin), min(len(text), end + margin)
    return ("…" if low else "") + text[low:high] + ("…" if high < len(text) else "")


def scan_servers(
    servers: Sequence[McpServer],
    *,
    scanner: PoisoningScanner | None = None,
    on_listed: Callable[[McpServer, int], None] | None = None,
) -> McpScanReport:
    """List every server's tools and scan them together (shadowing spans servers).

    ``on_listed(server, tool_count)`` is called as each server is listed (progress).
    """
    scanner = scanner or PoisoningScanner(guard=scan_guard())
    tools: list[McpTool] = []
    for server in servers:
        listed = fetch_tools(server)
        tools += listed
        if on_listed is not None:
            on_listed(server, len(listed))
    return scanner.scan(tools, servers=[s.label for s in servers])
