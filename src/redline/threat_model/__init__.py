"""Threat models from a system description: data-flow diagram, threats per element,
the redline tests that exercise each threat, and their latest results.

>>> from redline.threat_model import threat_model_from_file
>>> written = threat_model_from_file("system.yaml", output="out")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from redline.core import ConfigError
from redline.threat_model.diagram import render_svg
from redline.threat_model.document import (
    WrittenThreatModel,
    render_html,
    render_markdown,
    write_outputs,
)
from redline.threat_model.results import (
    FamilyResult,
    MeasuredResults,
    SuiteResult,
    latest_family_results,
    latest_suite_results,
)
from redline.threat_model.rules import ThreatRules, agent_suites, load_threat_rules
from redline.threat_model.system_file import SystemDescription, load_system
from redline.threat_model.threats import Threat, ThreatModel, build_threat_model


def threat_model_from_file(
    system_path: str | Path,
    *,
    output: str | Path,
    runs_dir: str | Path | None = None,
    rules_path: str | Path | None = None,
    agent_runs: Sequence[str] = (),
) -> WrittenThreatModel:
    """Read ``system_path``, build its threat model, look up results in ``runs_dir``
    (when given and present) and write Markdown, HTML, SVG and JSON to ``output``.

    Agent suites' results come from the newest agent run in ``runs_dir`` that
    attacked each suite, or only from ``agent_runs`` (run ids) when given.
    """
    system = load_system(Path(system_path))
    rules = load_threat_rules(Path(rules_path) if rules_path else None)
    model = build_threat_model(system, rules)
    families = {f for t in model.threats for f in t.tests.attack_families}
    suites = {s for t in model.threats for s in t.tests.agent_suites}
    results = MeasuredResults()
    if runs_dir:
        results = MeasuredResults(
            families=latest_family_results(Path(runs_dir), families),
            suites=latest_suite_results(Path(runs_dir), suites, agent_runs),
        )
    elif agent_runs:
        raise ConfigError("--agent-run needs the runs directory it is in (--runs-dir)")
    return write_outputs(model, results, Path(output))


__all__ = [
    "FamilyResult",
    "MeasuredResults",
    "SuiteResult",
    "SystemDescription",
    "Threat",
    "ThreatModel",
    "ThreatRules",
    "WrittenThreatModel",
    "agent_suites",
    "build_threat_model",
    "latest_family_results",
    "latest_suite_results",
    "load_system",
    "load_threat_rules",
    "render_html",
    "render_markdown",
    "render_svg",
    "threat_model_from_file",
]
