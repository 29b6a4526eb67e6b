"""Gate results as JUnit XML: one testcase per gate check, failures carrying the numbers.

The layout is the one CI systems read (Jenkins, GitLab, GitHub test reporters):
``<testsuites>`` with one ``<testsuite>`` whose ``tests`` and ``failures``
attributes count the checks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from redline.analysis.gate import GateReport, GateResult


def _measured(result: GateResult) -> str:
    if result.measured is None:
        return "n/a"
    if result.metric == "regression":
        return f"{result.measured:.4g}"
    return f"{result.measured:.4f}"


def junit_xml(report: GateReport) -> str:
    """The report as a JUnit XML document (UTF-8 text with an XML declaration)."""
    failures = report.failed
    suites = ET.Element(
        "testsuites", name="redline gates", tests=str(report.total), failures=str(failures)
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"redline gates: run {report.run_id}",
        tests=str(report.total),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", report.run_id),
        ("baseline_id", report.baseline_id),
        ("policy", report.policy),
        ("scorer", report.scorer),
        ("reducer", report.reducer),
        ("confidence", str(report.confidence)),
    ):
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=value)
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"redline.gates.{result.metric}",
            name=result.id,
            time="0",
        )
        detail = (
            f"gate {result.rule_id}: {result.metric} ({result.category}) "
            f"measured {_measured(result)} {result.comparison} threshold {result.threshold:g}"
        )
        if result.passed:
            ET.SubElement(case, "system-out").text = f"{detail}\n{result.message}"
            continue
        failure = ET.SubElement(
            case,
            "failure",
            message=f"measured {_measured(result)}, threshold {result.comparison} "
            f"{result.threshold:g}: {result.message}",
            type=f"redline.gate.{result.metric}",
        )
        failure.text = f"{detail}\n{result.message}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(report: GateReport, path: Path) -> Path:
    """Write :func:`junit_xml` to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")
    return path
