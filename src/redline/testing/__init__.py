"""Test helpers that are real parts: servers that speak the protocols redline talks to.

The names load on first use: importing the stub module here would make
``python -m redline.testing.openai_stub`` find it already imported and print a
RuntimeWarning from runpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redline.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from redline.testing.openai_stub import create_app, running_stub

__all__ = ["create_app", "running_stub"]


__getattr__ = lazy_getattr(
    "redline.testing", dict.fromkeys(__all__, "redline.testing.openai_stub"), globals()
)
