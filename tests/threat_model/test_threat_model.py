"""Threat models: system files with FILE:LINE errors, threats per element, the
diagram, results from runs, and `redline threat-model`."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from redline.cli.app import app
from redline.core.errors import ConfigError
from redline.core.records import Attempt, Message, RunInfo, Score
from redline.spec import load_catalogue
from redline.store import RunStore
from redline.threat_model import (
    build_threat_model,
    latest_family_results,
    load_system,
    load_threat_rules,
    render_svg,
    threat_model_from_file,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "threat-model" / "support-agent.yaml"
runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "system.yaml"
    path.write_text(text)
    return path


MINIMAL = """\
name: Mini
components:
  - {id: user, type: external_entity}
  - {id: bot, type: agent}
tools:
  - {id: fetch, capabilities: [reads_untrusted_data]}
trust_boundaries:
  - {id: inside, members: [bot, fetch]}
data_flows:
  - {from: user, to: bot}
  - {from: fetch, to: bot}
"""


def test_example_system_builds_the_expected_threats():
    model = build_threat_model(load_system(EXAMPLE), load_threat_rules())
    rules_of = {e.id: {t.rule for t in model.threats_of(e.id)} for e in model.elements}

    assert "lethal-trifecta" in rules_of["agent"]  # inbox + CRM-reading + send_email
    assert "indirect-injection-via-tool" in rules_of["web_search"]
    assert "third-party-tool" in rules_of["web_search"]
    assert "unauthorised-payment" in rules_of["refund"]
    assert "code-execution" in rules_of["run_code"]
    assert "memory-poisoning" in rules_of["memory"]
    assert "sensitive-store" in rules_of["crm"]
    # F1: customer (internet) -> read_inbox (company): crosses, but not into a model.
    assert "injected-flow-into-model" not in rules_of["F1"]
    assert (
        "injected-flow-into-model" in rules_of["F3"] or "injected-flow-into-model" in rules_of["F6"]
    )
    # STRIDE per element: an external entity gets S and R only, a store no S/E.
    assert {t.stride for t in model.threats_of("customer") if t.rule == "stride"} == {
        ("S",), ("R",)
    }  # fmt: skip
    assert {t.stride[0] for t in model.threats_of("crm") if t.rule == "stride"} == set("TRID")


def test_trifecta_needs_all_three_capabilities(tmp_path):
    system = load_system(write(tmp_path, MINIMAL))
    model = build_threat_model(system, load_threat_rules())
    assert "lethal-trifecta" not in {t.rule for t in model.threats_of("bot")}
    assert "indirect-injection-via-tool" in {t.rule for t in model.threats_of("fetch")}
    # user (outside any boundary) -> bot (inside) crosses into an agent.
    assert "injected-flow-into-model" in {t.rule for t in model.threats_of("F1")}
    assert "injected-flow-into-model" not in {t.rule for t in model.threats_of("F2")}


def test_every_catalogue_id_family_and_suite_in_the_shipped_rules_exists():
    rules = load_threat_rules()
    for rule in rules.rules:
        for framework, idents in rule.ids.items():
            catalogue = load_catalogue(framework)
            assert all(catalogue.find(i) for i in idents), (rule.id, idents)
    assert len(rules.rules) >= 10


def test_a_rules_file_with_an_unknown_catalogue_id_is_rejected_with_its_line(tmp_path):
    shipped = yaml.safe_load((Path(load_threat_rules.__code__.co_filename).parent
                              / "threat_rules.yaml").read_text())  # fmt: skip
    shipped["rules"][0]["ids"]["owasp_llm"] = ["LLM99"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(shipped, sort_keys=False))
    with pytest.raises(
        ConfigError, match=r"rules.yaml:\d+: rules.0.ids.owasp_llm: unknown .*LLM99"
    ):
        load_threat_rules(path)
    shipped["rules"][0]["ids"]["owasp_llm"] = ["LLM01"]
    shipped["rules"][0]["tests"]["attack_families"] = ["teleportation"]
    path.write_text(yaml.safe_dump(shipped, sort_keys=False))
    with pytest.raises(ConfigError, match="unknown attack family 'teleportation'"):
        load_threat_rules(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL.replace("to: bot}\n  - {from: fetch", "to: robot}\n  - {from: fetch"),
         r"system.yaml:10: data_flows.0.to: unknown element 'robot'"),
        (MINIMAL.replace("members: [bot, fetch]", "members: [bot, ghost]"),
         r"system.yaml:8: trust_boundaries.0.members.1: unknown element 'ghost'"),
        (MINIMAL.replace("reads_untrusted_data", "reads_minds"),
         r"system.yaml:6: tools.0.capabilities.0: Input should be"),
        (MINIMAL.replace("type: agent", "type: robot"),
         r"system.yaml:4: components.1.type: Input should be"),
        (MINIMAL.replace("- {id: bot, type: agent}", "- {id: user, type: agent}"),
         r"system.yaml:4: components.1.id: duplicate id 'user'"),
        (MINIMAL + "colour: red\n", r"system.yaml:\d+: colour: unknown field"),
        ("name: [unclosed\n", r"system.yaml:\d+: invalid YAML"),
        ("name: Empty\n", r"the system has no components"),
    ],
)  # fmt: skip
def test_bad_system_files_name_file_line_and_field(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected):
        load_system(write(tmp_path, text))


def test_svg_is_well_formed_with_dashed_boundaries_and_every_element_and_flow():
    system = load_system(EXAMPLE)
    model = build_threat_model(system, load_threat_rules())
    root = ET.fromstring(render_svg(model))
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    boundaries = [g for key, g in groups.items() if key.startswith("tb-")]
    assert len(boundaries) == len(system.trust_boundaries)
    assert all(g.find(f"{SVG}rect").get("stroke-dasharray") for g in boundaries)
    assert {k[3:] for k in groups if k.startswith("el-")} == set(system.kinds())
    assert {k[5:] for k in groups if k.startswith("flow-")} == {f.id for f in system.flows()}


def test_elements_sit_inside_their_boundary_box():
    system = load_system(EXAMPLE)
    root = ET.fromstring(render_svg(build_threat_model(system, load_threat_rules())))
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}

    def box(group):
        rect = group.find(f"{SVG}rect")
        x, y = float(rect.get("x")), float(rect.get("y"))
        return x, y, x + float(rect.get("width")), y + float(rect.get("height"))

    for boundary in system.trust_boundaries:
        bx1, by1, bx2, by2 = box(groups[f"tb-{boundary.id}"])
        for member in boundary.members:
            x1, y1, x2, y2 = box(groups[f"el-{member}"])
            assert bx1 < x1 and x2 < bx2 and by1 < y1 and y2 < by2, member


def _injection_run(store: RunStore, run_id: str, *, leaked: int, kept: int) -> None:
    handle = store.create(RunInfo(id=run_id, status="completed", config={"target": "stub"}))
    for index in range(leaked + kept):
        attempt = Attempt(
            id=f"{run_id}-{index}", run_id=run_id, behavior_id=f"b{index}", category="s1",
            expected="refuse", attack="injection.tool", target="stub", epoch=0,
            messages=[Message(role="user", content="summarise this")], response="ok",
        )  # fmt: skip
        handle.append_attempt(attempt)
        handle.append_score(
            Score(
                attempt_id=attempt.id, scorer="canary", scorer_version="1",
                label="leaked" if index < leaked else "not_leaked",
                value=1.0 if index < leaked else 0.0,
            )
        )  # fmt: skip


def test_latest_results_come_from_the_newest_run_with_the_family(tmp_path):
    store = RunStore(tmp_path / "runs")
    _injection_run(store, "20260101-000000-aaaaaa", leaked=1, kept=3)
    _injection_run(store, "20260102-000000-bbbbbb", leaked=3, kept=1)
    results = latest_family_results(tmp_path / "runs", {"injection", "roleplay"})
    assert set(results) == {"injection"}  # no run tried roleplay
    injection = results["injection"]
    assert (injection.run_id, injection.successes, injection.scored) == (
        "20260102-000000-bbbbbb", 3, 4
    )  # fmt: skip
    assert injection.low < 0.75 < injection.high
    assert latest_family_results(tmp_path / "nowhere", {"injection"}) == {}


def test_cli_writes_markdown_html_svg_and_json_with_results(tmp_path):
    store = RunStore(tmp_path / "runs")
    _injection_run(store, "20260102-000000-bbbbbb", leaked=2, kept=2)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["threat-model", str(EXAMPLE), "--output", str(out), "--runs-dir", str(tmp_path / "runs"),
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["results"] == 1 and summary["rule_threats"] >= 10
    markdown = (out / "threat-model.md").read_text()
    assert "![Data-flow diagram](data-flows.svg)" in markdown
    assert "| web_search | web_search | tool | Internet |" in markdown
    assert re.search(r"injection: 50% attack success \[\d+%, \d+%\], 2/4", markdown)
    assert "LLM01" in markdown and "ASI01" in markdown and "AML.T0051.001" in markdown
    html = (out / "threat-model.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "2/4" in html
    document = json.loads((out / "threat-model.json").read_text())
    assert document["results"]["injection"]["scored"] == 4


def test_cli_bad_system_file_exits_2(tmp_path):
    path = write(
        tmp_path, MINIMAL.replace("to: bot}\n  - {from: fetch", "to: robot}\n  - {from: fetch")
    )
    result = runner.invoke(app, ["threat-model", str(path), "--output", str(tmp_path / "o")])
    assert result.exit_code == 2 and "system.yaml:10: data_flows.0.to" in result.stderr
    missing = runner.invoke(app, ["threat-model", str(tmp_path / "nope.yaml"), "-o", "x"])
    assert missing.exit_code == 2 and "system description not found" in missing.stderr


def test_threat_model_from_file_without_runs(tmp_path):
    written = threat_model_from_file(EXAMPLE, output=tmp_path / "o")
    assert written.results == 0 and written.svg.exists()
    assert "attack success" not in written.markdown.read_text()
