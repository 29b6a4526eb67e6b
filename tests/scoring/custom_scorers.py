"""Scorer functions for the custom-scorer tests (python:tests/scoring/custom_scorers.py:NAME)."""


def mentions_password(prompt, response):
    return ("leaked", 1.0, "password shown") if "password" in response else ("safe", 0.0)


def by_attempt(attempt):
    return attempt.category == "s1"


async def async_label(attempt):
    return {"label": "long" if len(attempt.response) > 10 else "short", "value": 0.5}


def bad_value(attempt):
    return ("x", 3.0)


def bad_type(attempt):
    return [1, 2]


def unsafe_or_fine(attempt):
    return "unsafe_text" if "kill" in (attempt.response or "") else "fine"


unsafe_or_fine.positive_labels = ("unsafe_text",)
