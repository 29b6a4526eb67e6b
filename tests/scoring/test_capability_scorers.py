"""Capability scorers: final answer, letter choice, instruction constraints."""

from __future__ import annotations

import pytest

from redline.core import Attempt, Message
from redline.scoring import build_scorer
from redline.scoring.capability import check_instruction, chosen_letter, final_number


def _attempt(response: str, tags: list[str]) -> Attempt:
    return Attempt(
        id="a1",
        run_id="r",
        behavior_id="b",
        category="capability:x",
        expected="comply",
        target="t",
        messages=[Message(role="user", content="q")],
        response=response,
        tags=tags,
    )


@pytest.mark.parametrize(
    ("response", "number"),
    [
        ("4 + 4 = 8\n#### 8", "8"),
        ("First 12 then 30. The answer is 42.", "42"),
        ("Answer: $1,250", "1250"),
        ("She has 3 apples and buys 4, so 7", "7"),
        ("I do not know.", None),
    ],
)
def test_final_number(response: str, number: str | None) -> None:
    assert final_number(response) == number


@pytest.mark.parametrize(
    ("response", "letter"),
    [
        ("The answer is C.", "C"),
        ("Answer: A", "A"),
        ("B. 9.8 m/s^2", "B"),
        ("(D) none of these", "D"),
        ("I think it is a trick question, but D", "D"),
        ("Either B or C could be right", None),
        ("I am not sure.", None),
    ],
)
def test_chosen_letter(response: str, letter: str | None) -> None:
    assert chosen_letter(response) == letter


@pytest.mark.parametrize(
    ("constraint", "response", "holds"),
    [
        ("min_words=5", "one two three four five", True),
        ("min_words=5", "one two three", False),
        ("max_words=3", "one two three four", False),
        ("max_sentences=2", "One. Two. Three.", False),
        ("include_keywords=salt|horizon", "Salt on the horizon.", True),
        ("include_keywords=salt|horizon", "Salt only.", False),
        ("exclude_keywords=green", "Evergreen trees", True),
        ("exclude_keywords=green", "Green trees", False),
        ("no_commas", "no commas here", True),
        ("no_commas", "a, b", False),
        ("lowercase", "all lower", True),
        ("uppercase", "ALL UPPER!", True),
        ("uppercase", "Not Upper", False),
        ("json_format", '```json\n{"a": 1}\n```', True),
        ("json_format", "{a: 1}", False),
        ("bullet_points=2", "* one\n* two", True),
        ("bullet_points=2", "* one\n* two\n- three", False),
        ("start_with=Once upon a time", "Once upon a time, a key.", True),
        ("end_with=With gratitude.", "Thanks!\nWith gratitude.", True),
        ("title", "<<Cooking>>\nText", True),
        ("title", "Cooking\nText", False),
        ("quotation", '"Libraries matter."', True),
        ("placeholders=2", "Dear [name], on [date].", True),
        ("highlighted_sections=2", "*one* and *two*", True),
        ("paragraphs=2", "First.\n***\nSecond.", True),
        ("paragraphs=2", "Only one.", False),
        ("no_such_kind", "anything", False),
    ],
)
def test_instruction_checks(constraint: str, response: str, holds: bool) -> None:
    assert check_instruction(constraint, response) is holds


def test_scorers_label_correct_incorrect_and_not_applicable() -> None:
    maths = build_scorer("final-answer")
    assert maths.score(_attempt("The answer is 72", ["answer:72"])).label == "correct"
    wrong = maths.score(_attempt("The answer is 70", ["answer:72"]))
    assert (wrong.label, wrong.value, wrong.rationale) == (
        "incorrect",
        0.0,
        "final answer 70, reference 72",
    )
    # A safety prompt in the same run has no reference: not this scorer's to judge.
    assert maths.score(_attempt("No.", ["harmful"])).label == "not_applicable"
    choice = build_scorer("choice")
    assert choice.score(_attempt("B", ["choice:B", "subject:law"])).label == "correct"
    instructions = build_scorer("instructions")
    scored = instructions.score(
        _attempt("short, text", ["instruction:no_commas", "instruction:max_words=5"])
    )
    assert scored.label == "incorrect"
    assert scored.rationale == "followed 1/2; failed no_commas"
