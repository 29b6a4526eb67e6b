"""An attacker model that always fails (python:tests/run/failing_attacker.py:fail)."""


def fail(prompt: str) -> str:
    raise RuntimeError("attacker model is down")
