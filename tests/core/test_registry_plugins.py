"""Plugins (entry points) load by name: finding one never imports the others."""

from __future__ import annotations

import subprocess
import sys

import pytest

from redline.core import UnknownNameError
from redline.core.registry import Registry


def _modules_after(code: str) -> set[str]:
    """The redline modules a fresh interpreter has imported after running ``code``."""
    listing = "print('\\n'.join(m for m in sys.modules if m.startswith('redline')))"
    probe = f"{code}\nimport sys\n{listing}"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_building_a_built_in_scorer_loads_no_plugin() -> None:
    modules = _modules_after("from redline.scoring import build_scorer; build_scorer('refusal')")
    assert "redline.scoring.refusal_classifier" in modules
    # The reward scorer is a plugin (entry point) that imports the run loop and
    # scikit-learn; a scan that does not use it must not pay for it.
    assert "redline.alignment.reward_scorer" not in modules
    assert "redline.regress.leakage" not in modules


def test_a_plugin_is_found_by_name_and_only_it_is_loaded() -> None:
    modules = _modules_after(
        "from redline.scoring import SCORERS; assert SCORERS.get('leakage').__name__ "
        "== 'LeakageScorer'"
    )
    assert "redline.regress.leakage" in modules
    assert "redline.alignment.reward_scorer" not in modules


def test_listing_names_loads_every_plugin() -> None:
    registry: Registry[type] = Registry("scorer", group="redline.scorers")
    assert {"leakage", "reward"} <= set(registry.names())


def test_an_unknown_name_suggests_plugins_too() -> None:
    registry: Registry[type] = Registry("scorer", group="redline.scorers")
    assert "nosuch" not in registry
    with pytest.raises(UnknownNameError, match="leakage"):
        registry.get("leakag")


def test_a_built_in_wins_over_a_plugin_of_the_same_name() -> None:
    registry: Registry[type] = Registry("scorer", group="redline.scorers")

    class Mine:
        pass

    registry.register("leakage")(Mine)
    assert registry.get("leakage") is Mine
    assert registry.names().count("leakage") == 1
    assert registry.get("leakage") is Mine
