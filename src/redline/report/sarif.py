"""Gate results as a SARIF 2.1.0 log, the format code-scanning services ingest.

One rule per policy gate (its id), one result per failed check, located at the
gate's line in the policy file so a code-scanning alert points at the
threshold that was crossed. ``partialFingerprints`` tie a result to its gate
and group, so the same failure on the next run updates the same alert.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from redline.analysis.gate import METRIC_DESCRIPTIONS, GateReport, GateResult, rule_name
from redline.core.records import content_hash

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _redline_version() -> str:
    try:
        return version("redline")
    except PackageNotFoundError:
        return "0.0.0"


def _policy_uri(policy: str | None) -> tuple[str, bool]:
    """The policy file as a URI: relative to the working directory when it is inside it."""
    if policy is None:
        return "gates.yaml", True
    path = Path(policy)
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix(), True
        except ValueError:
            return path.as_uri(), False
    return Path(os.path.normpath(path)).as_posix(), True


def _rule(result: GateResult) -> dict[str, Any]:
    what = METRIC_DESCRIPTIONS[result.metric]
    if result.metric == "regression":
        short = f"{what} ({result.category}, alpha {result.threshold:g})"
    else:
        short = f"{what} {result.comparison} {result.threshold:g} ({result.bound})"
    return {
        "id": result.rule_id,
        "name": rule_name(result.rule_id) or "Gate",
        "shortDescription": {"text": short},
        "fullDescription": {"text": result.description or f"redline gate: {short}"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["llm-safety", "redline-gate", result.metric]},
    }


def _result(result: GateResult, rule_index: int, uri: str, relative: bool) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    location: dict[str, Any] = {"artifactLocation": artifact}
    if result.line is not None:
        location["region"] = {"startLine": result.line}
    return {
        "ruleId": result.rule_id,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": result.message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {
            "redlineGate/v1": content_hash([result.rule_id, result.metric, result.category])
        },
        "properties": {
            "metric": result.metric,
            "category": result.category,
            "measured": result.measured,
            "threshold": result.threshold,
            "comparison": result.comparison,
            "bound": result.bound,
        },
    }


def sarif_log(report: GateReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a JSON-serialisable dict)."""
    uri, relative = _policy_uri(report.policy)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for result in report.results:
        if result.rule_id not in index:
            index[result.rule_id] = len(rules)
            rules.append(_rule(result))
    results = [_result(r, index[r.rule_id], uri, relative) for r in report.results if not r.passed]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "redline",
                "version": _redline_version(),
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "properties": {
            "run_id": report.run_id,
            "baseline_id": report.baseline_id,
            "passed": report.passed,
            "checks": report.total,
            "failed": report.failed,
        },
    }
    if relative:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def write_sarif(report: GateReport, path: Path) -> Path:
    """Write :func:`sarif_log` to ``path`` as JSON (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sarif_log(report), indent=2) + "\n", encoding="utf-8")
    return path
