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


def test_the_built_in_attacks_load_on_the_first_look_up_not_on_import() -> None:
    imported = _modules_after("import redline.attacks")
    assert "redline.attacks.base" in imported
    assert "redline.attacks.converters" not in imported
    looked_up = _modules_after("from redline.attacks import ATTACKS; ATTACKS.get('base64')")
    assert {
        "redline.attacks.converters",
        "redline.attacks.injection",
        "redline.attacks.multiturn",
    } <= looked_up


def test_a_registry_loads_its_built_in_modules_once_for_any_look_up() -> None:
    registry: Registry[type] = Registry(
        "thing", group="redline.no_such_group", builtin_modules=("json", "no_such_module_here")
    )
    assert "anything" not in registry  # a missing built-in module is skipped
    registry.register("x")(int)
    assert registry.get("x") is int and registry.names() == ["x"]


BUILT_IN_TARGET_MODULES = {
    "redline.targets.openai_chat",
    "redline.targets.anthropic_messages",
    "redline.targets.http_app",
    "redline.targets.local_llama",
}


def test_looking_up_a_built_in_target_imports_only_its_module() -> None:
    assert BUILT_IN_TARGET_MODULES.isdisjoint(_modules_after("import redline.targets"))
    openai = _modules_after(
        "from redline.targets import TARGETS, TargetSpec\n"
        "TargetSpec.parse('openai:gpt-4o-mini')\n"
        "assert TARGETS.get('openai').__name__ == 'OpenAITarget'"
    )
    assert BUILT_IN_TARGET_MODULES & openai == {"redline.targets.openai_chat"}
    # Listing the kinds (`redline targets list`, an unknown kind's message) loads them all.
    listed = _modules_after(
        "from redline.targets import TARGETS\n"
        "assert {'openai', 'anthropic', 'http', 'local', 'python'} <= set(TARGETS.names())"
    )
    assert listed >= BUILT_IN_TARGET_MODULES
    # The package's names still resolve, each from its own module.
    assert "redline.targets.local_llama" in _modules_after(
        "from redline.targets import bundled_model_path, LocalTarget"
    )


def test_a_registry_skips_a_named_home_that_is_not_installed() -> None:
    registry: Registry[type] = Registry(
        "thing",
        group="redline.no_such_group",
        builtin_modules={"decoder": "json.decoder", "gone": "no_such_module_here"},
    )
    assert "gone" not in registry  # its module is not installed: skipped
    assert registry.names() == []  # nothing in these modules registers here
    registry.register("decoder")(int)
    assert registry.get("decoder") is int
