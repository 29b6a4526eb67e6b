"""Test helpers that are real parts: servers that speak the protocols redline talks to.

The names load on first use: importing the stub module here would make
``python -m redline.testing.openai_stub`` find it already imported and print a
RuntimeWarning from runpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redline.testing.openai_stub import create_app, running_stub

__all__ = ["create_app", "running_stub"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'redline.testing' has no attribute {name!r}")
    return getattr(importlib.import_module("redline.testing.openai_stub"), name)
