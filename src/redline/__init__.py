"""redline: a workbench for LLM safety engineering.

The public API, importable from the package root (``from redline import Guard``).
Each name loads its module on first use, so ``import redline`` stays cheap.
Everything else is importable from its subpackage but not promised to stay put;
docs/api.md describes these names. (They are not imported under TYPE_CHECKING
either: the layering check would then see the package root importing every
layer, and every module that reads ``redline.__version__`` with it.)
"""

from __future__ import annotations

from typing import Any

from redline.core.lazy_names import lazy_getattr

__version__ = "0.1.0"

# Public name -> the module that defines it.
_HOMES = {
    "Attempt": "redline.core",
    "Behavior": "redline.core",
    "ConfigError": "redline.core",
    "GenerationParams": "redline.core",
    "Message": "redline.core",
    "RedlineError": "redline.core",
    "Score": "redline.core",
    "TargetSpec": "redline.targets",
    "build_target": "redline.targets",
    "load_suite": "redline.data",
    "load_dataset": "redline.data",
    "RunStore": "redline.store",
    "build_attack": "redline.attacks",
    "build_scorer": "redline.scoring",
    "Campaign": "redline.run",
    "load_campaign": "redline.run",
    "run_campaign": "redline.run",
    "RunSummary": "redline.analysis",
    "summarize_run": "redline.analysis",
    "compare_runs": "redline.analysis",
    "evaluate_gates": "redline.analysis",
    "Guard": "redline.guard",
}

__all__ = [
    "Attempt",
    "Behavior",
    "Campaign",
    "ConfigError",
    "GenerationParams",
    "Guard",
    "Message",
    "RedlineError",
    "RunStore",
    "RunSummary",
    "Score",
    "TargetSpec",
    "__version__",
    "build_attack",
    "build_scorer",
    "build_target",
    "compare_runs",
    "evaluate_gates",
    "load_campaign",
    "load_dataset",
    "load_suite",
    "run_campaign",
    "summarize_run",
]


_load = lazy_getattr("redline", _HOMES, globals())


def __getattr__(name: str) -> Any:
    return _load(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
