"""Test helpers that are real parts: servers that speak the protocols redline talks to."""

from redline.testing.openai_stub import create_app, running_stub

__all__ = ["create_app", "running_stub"]
