"""The names promised at the package root (docs/api.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import redline


@pytest.mark.parametrize("name", [n for n in redline.__all__ if n != "__version__"])
def test_each_public_name_imports(name):
    value = getattr(redline, name)
    assert value.__module__.startswith("redline.")
    assert value.__doc__, f"{name} has no docstring"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        redline.nope  # noqa: B018


def test_import_redline_stays_cheap():
    code = (
        "import sys, redline; print(sorted(m for m in ('pydantic', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_all_lists_exactly_the_lazy_names():
    assert set(redline.__all__) == {*redline._HOMES, "__version__"}
