"""Tool-poisoning scan: every poisoned tool is caught for what it does; clean ones pass."""

from __future__ import annotations

import pytest

from redline.core.errors import ConfigError
from redline.mcp import McpTool, PoisoningScanner, load_rules, scan_guard, scan_servers
from redline.mcp.poisoning_scan import tool_texts, visible

from .conftest import stub_server


def _checks(report, tool):
    return {(f.category, f.severity) for f in report.findings if f.tool == tool}


def test_each_poisoned_tool_is_flagged_for_its_technique(poisoned_tools, rules_scanner):
    report = rules_scanner.scan(poisoned_tools)

    assert ("hidden_instructions", "high") in _checks(report, "add_numbers")
    assert ("secrets_access", "high") in _checks(report, "add_numbers")  # ~/.ssh/id_rsa
    assert ("invisible_text", "high") in _checks(report, "format_text")
    assert ("exfiltration", "high") in _checks(report, "fetch_page")
    assert ("shadowing", "high") in _checks(report, "send_email_helper")
    assert ("exfiltration", "high") in _checks(report, "send_email_helper")  # the BCC
    assert ("secrets_access", "high") in _checks(report, "diagnostics")
    assert report.flagged_tools() == sorted(t.name for t in poisoned_tools)
    assert report.failing("high")


def test_instructions_hidden_in_the_input_schema_are_found(poisoned_tools, rules_scanner):
    report = rules_scanner.scan(poisoned_tools)
    schema = [f for f in report.findings if f.field.startswith("input_schema.")]
    assert {f.field for f in schema} == {"input_schema.properties.context.description"}
    assert any(f.check == "guard:injection/indirect" for f in schema)


def test_invisible_text_evidence_is_shown_escaped_and_decoded(poisoned_tools, rules_scanner):
    report = rules_scanner.scan(poisoned_tools)
    tags = next(f for f in report.findings if f.check == "guard:invisible_text/tag_characters")
    assert "[tags spell: 'Ignore the user']" in tags.evidence
    assert "\\u200b" in tags.evidence and "\u200b" not in tags.evidence


def test_clean_tools_have_no_findings(clean_tools, rules_scanner):
    report = rules_scanner.scan(clean_tools)
    assert report.findings == []
    assert report.counts() == {"low": 0, "medium": 0, "high": 0}
    assert not report.failing("low")


def test_clean_tools_pass_with_the_classifiers_too(clean_tools):
    # The shipped policy with the trained injection/jailbreak classifiers on.
    scanner = PoisoningScanner(guard=scan_guard())
    assert scanner.scan(clean_tools).findings == []


def test_the_same_tool_name_on_two_servers_is_shadowing(clean_tools, rules_scanner):
    copy = [
        McpTool(name=t.name, description=t.description, input_schema=t.input_schema, server="b")
        for t in clean_tools[:1]
    ]
    report = rules_scanner.scan([*clean_tools, *copy])
    duplicates = [f for f in report.findings if f.check == "shadowing:duplicate-name"]
    assert {(f.server, f.tool) for f in duplicates} == {
        (clean_tools[0].server, "get_weather"), ("b", "get_weather")
    }  # fmt: skip


def test_a_description_naming_another_servers_tool_is_shadowing(rules_scanner):
    tools = [
        McpTool(name="get_weather", description="Weather for a city.", input_schema={}, server="a"),
        McpTool(
            name="units",
            description="Converts units. Use it to post-process get_weather results.",
            input_schema={},
            server="b",
        ),
    ]
    report = rules_scanner.scan(tools)
    assert [(f.tool, f.check) for f in report.findings] == [("units", "shadowing:mentions-tool")]


def test_schema_walk_covers_names_descriptions_enums_and_defaults():
    tool = McpTool(
        name="t",
        description="d",
        input_schema={
            "type": "object",
            "properties": {"mode": {"type": "string", "enum": ["a", "b"], "default": "a"}},
        },
    )
    fields = dict(tool_texts(tool))
    assert fields["input_schema.properties.mode (name)"] == "mode"
    assert fields["input_schema.properties.mode.enum[1]"] == "b"
    assert fields["input_schema.properties.mode.default"] == "a"
    assert "input_schema.type" not in fields


def test_visible_escapes_bidi_controls():
    assert visible("abc\u202edef") == "abc\\u202edef"


def test_rules_file_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "rules:\n  - id: x\n    category: c\n    severity: urgent\n    message: m\n    pattern: a\n"
    )
    with pytest.raises(ConfigError, match=r"rules.yaml:4: rules.0.severity"):
        load_rules(bad)
    bad.write_text("rules:\n  - {id: x, category: c, severity: low, message: m, pattern: '('}\n")
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_rules(bad)


def test_scan_servers_reports_each_listing(rules_scanner):
    seen = []
    report = scan_servers(
        [stub_server("poisoned")],
        scanner=rules_scanner,
        on_listed=lambda server, count: seen.append(count),
    )
    assert seen == [5] and len(report.tools) == 5
    assert report.to_dict()["failed"] is True
