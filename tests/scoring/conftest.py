from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


@pytest.fixture
def scripted():
    """The scripted-judge module as the python: target loads it (same module object)."""
    from redline.targets import build_target
    from redline.targets.spec import TargetSpec

    path = (Path(__file__).parent / "scripted_judge.py").resolve()
    build_target(TargetSpec(kind=f"python:{path}:garbled"))  # loads it the way targets do
    for module in sys.modules.values():
        if getattr(module, "__file__", None) == str(path):
            return module
    spec = importlib.util.spec_from_file_location("scripted_judge_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
