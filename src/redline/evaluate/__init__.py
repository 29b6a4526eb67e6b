"""Evaluation over stored runs: comparing two runs, CI gates, epoch reducers.

- :func:`compare_runs` -> :class:`Comparison`: paired (McNemar, Newcombe) or
  unpaired (Fisher, Newcombe) differences per category, Holm-corrected.
- :func:`load_gate_policy`, :func:`evaluate_gates` -> :class:`GateReport`;
  :func:`write_junit` and :func:`write_sarif` for CI systems.
- :data:`REDUCERS`, :func:`reduce_samples`: collapse epochs per behaviour.

Names are imported on first use: :mod:`redline.report` imports the reducers,
and the comparison imports the report, so an eager import here would be circular.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "REDUCERS": "reducers",
    "ReducerName": "reducers",
    "check_reducer": "reducers",
    "reduce_events": "reducers",
    "reduce_samples": "reducers",
    "Comparison": "compare",
    "MetricComparison": "compare",
    "compare_runs": "compare",
    "paired_difference_interval": "compare",
    "unpaired_difference_interval": "compare",
    "GatePolicy": "gate",
    "Gate": "gate",
    "GateReport": "gate",
    "GateResult": "gate",
    "load_gate_policy": "gate",
    "evaluate_gates": "gate",
    "write_junit": "junit",
    "junit_xml": "junit",
    "write_sarif": "sarif",
    "sarif_log": "sarif",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'redline.evaluate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"redline.evaluate.{module}"), name)
