"""Capability scorers: did the model get the answer right?

- ``final-answer`` (GSM8K-style): the response's final number equals the
  reference (``answer:<n>`` tag). The final number is the one after ``####``,
  else after "the answer is", else the last number in the response.
- ``choice`` (MMLU-style): the letter the response commits to equals the
  reference (``choice:<letter>`` tag); the subject stays in the attempt's tags
  for per-subject accuracy.
- ``instructions`` (IFEval-style): every ``instruction:<kind>[=<value>]``
  constraint holds, each checked by code (strict, prompt-level accuracy).

Each labels an attempt ``correct`` or ``incorrect``, and ``not_applicable`` when
the attempt carries no reference of its kind (a safety prompt in the same run).
The references come from :mod:`redline.data.capability` through the attempt's tags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from redline.core import Attempt, Score
from redline.core.outcome import CORRECT, INCORRECT, NOT_APPLICABLE
from redline.data.capability import normalise_number
from redline.scoring.base import SCORERS, ScorerParams

_NUMBER = r"-?\$?\d[\d,]*(?:\.\d+)?"
_HASH_ANSWER = re.compile(rf"####\s*({_NUMBER})")
_SAID_ANSWER = re.compile(rf"answer\s*(?:is|:)?\s*[:=]?\s*\**\s*({_NUMBER})", re.IGNORECASE)
_ANY_NUMBER = re.compile(_NUMBER)
_SAID_LETTER = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is|:)?\s*[:=]?\s*\**\(?([ABCD])\b(?![.'’]\w)"
)
_LEADING_LETTER = re.compile(r"^\s*\**\(?([ABCD])\)?(?:[.:)\s]|$)")
_LONE_LETTER = re.compile(r"(?<![\w'’])\(?([ABCD])\)?(?![\w'’])")


def _tag_value(attempt: Attempt, prefix: str) -> str | None:
    for tag in attempt.tags:
        if tag.startswith(prefix):
            return tag.removeprefix(prefix)
    return None


def final_number(response: str) -> str | None:
    """The final answer a response gives, as a canonical number string, or None."""
    for pattern in (_HASH_ANSWER, _SAID_ANSWER):
        found = pattern.findall(response)
        if found:
            return normalise_number(found[-1])
    numbers = _ANY_NUMBER.findall(response)
    return normalise_number(numbers[-1]) if numbers else None


def chosen_letter(response: str) -> str | None:
    """The option letter (A-D) a response commits to, or None.

    "The answer is C" wins; else a letter opening the response ("B. 4", "(B)");
    else the single distinct standalone letter in it. Two different standalone
    letters and no statement: no answer (a response listing every option has not
    chosen one).
    """
    said = _SAID_LETTER.findall(response)
    if said:
        return str(said[-1])
    leading = _LEADING_LETTER.match(response)
    if leading:
        return leading.group(1)
    letters = {m for m in _LONE_LETTER.findall(response) if m != "A" or _is_option_a(response)}
    return letters.pop() if len(letters) == 1 else None


def _is_option_a(response: str) -> bool:
    """A standalone ``A`` is the article as often as the option: count it only as "(A)"/"A."."""
    return re.search(r"\(A\)|(?<![\w'’])A[.):](?:\s|$)", response) is not None


class CapabilityParams(ScorerParams):
    """Capability scorers take no parameters."""


class _CapabilityScorer:
    """Labels ``correct``/``incorrect`` from a reference in the attempt's tags."""

    Params = CapabilityParams
    positive_labels = (CORRECT,)
    name = ""
    version = ""
    reference_tag = ""

    def judge(self, attempt: Attempt, reference: str) -> tuple[bool, str]:
        raise NotImplementedError

    def score(self, attempt: Attempt) -> Score:
        if not any(t.startswith(self.reference_tag) for t in attempt.tags):
            return self._score(attempt, NOT_APPLICABLE, f"no {self.reference_tag} reference")
        reference = _tag_value(attempt, self.reference_tag) or ""
        right, why = self.judge(attempt, reference)
        return self._score(attempt, CORRECT if right else INCORRECT, why)

    def _score(self, attempt: Attempt, label: str, why: str) -> Score:
        return Score(
            attempt_id=attempt.id,
            scorer=self.name,
            scorer_version=self.version,
            label=label,
            value=1.0 if label == CORRECT else 0.0,
            rationale=why,
        )


@SCORERS.register("final-answer")
class FinalAnswerScorer(_CapabilityScorer):
    """GSM8K-style exact final answer (numbers compared after normalising ``1,000.0``)."""

    name = "final-answer"
    version = "final-answer-1"
    reference_tag = "answer:"

    def judge(self, attempt: Attempt, reference: str) -> tuple[bool, str]:
        given = final_number(attempt.response or "")
        return given == reference, f"final answer {given}, reference {reference}"


@SCORERS.register("choice")
class ChoiceScorer(_CapabilityScorer):
    """MMLU-style letter match."""

    name = "choice"
    version = "choice-1"
    reference_tag = "choice:"

    def judge(self, attempt: Attempt, reference: str) -> tuple[bool, str]:
        given = chosen_letter(attempt.response or "")
        return given == reference, f"chose {given}, reference {reference}"


@SCORERS.register("instructions")
class InstructionsScorer(_CapabilityScorer):
    """IFEval-style: correct when every ``instruction:`` constraint holds."""

    name = "instructions"
    version = "instructions-1"
    reference_tag = "instruction:"

    def judge(self, attempt: Attempt, reference: str) -> tuple[bool, str]:
        response = attempt.response or ""
        tag = self.reference_tag
        constraints = [t.removeprefix(tag) for t in attempt.tags if t.startswith(tag)]
        failed = [c for c in constraints if not check_instruction(c, response)]
        held = len(constraints) - len(failed)
        why = f"followed {held}/{len(constraints)}"
        return not failed, why + (f"; failed {', '.join(failed)}" if failed else "")


def _words(text: str) -> int:
    return len(re.findall(r"\b[\w'’-]+\b", text))


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()])


def _json_body(text: str) -> bool:
    body = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, re.DOTALL | re.IGNORECASE)
    if fenced:
        body = fenced.group(1)
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _keywords(value: str) -> list[str]:
    return [k.strip().casefold() for k in value.split("|") if k.strip()]


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text.casefold()) is not None


_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "min_words": lambda r, v: _words(r) >= int(v),
    "max_words": lambda r, v: _words(r) <= int(v),
    "max_sentences": lambda r, v: _sentences(r) <= int(v),
    "include_keywords": lambda r, v: all(_has_word(r, k) for k in _keywords(v)),
    "exclude_keywords": lambda r, v: not any(_has_word(r, k) for k in _keywords(v)),
    "no_commas": lambda r, v: "," not in r,
    "lowercase": lambda r, v: r == r.lower() and any(c.isalpha() for c in r),
    "uppercase": lambda r, v: r == r.upper() and any(c.isalpha() for c in r),
    "json_format": lambda r, v: _json_body(r),
    "bullet_points": lambda r, v: len(re.findall(r"^\s*[*-]\s", r, re.MULTILINE)) == int(v),
    "start_with": lambda r, v: r.strip().casefold().startswith(v.casefold()),
    "end_with": lambda r, v: r.strip().casefold().endswith(v.casefold()),
    "title": lambda r, v: re.search(r"<<[^\n<>]+>>", r) is not None,
    "quotation": lambda r, v: len(r.strip()) > 1 and r.strip()[0] == r.strip()[-1] == '"',
    "placeholders": lambda r, v: len(re.findall(r"\[[^\[\]\n]+\]", r)) >= int(v),
    "highlighted_sections": lambda r, v: len(re.findall(r"\*[^\n*]+\*", r)) >= int(v),
    "paragraphs": lambda r, v: (
        len([p for p in re.split(r"^\s*\*\*\*\s*$", r, flags=re.M) if p.strip()]) == int(v)
    ),
}


def check_instruction(constraint: str, response: str) -> bool:
    """Whether ``response`` meets one constraint ``kind`` or ``kind=value``.

    An unknown kind never holds (a newer data file than this scorer fails loudly
    in the rationale rather than passing silently).
    """
    kind, _, value = constraint.partition("=")
    check = _CHECKS.get(kind)
    return check is not None and check(response, value)


__all__ = [
    "CORRECT",
    "INCORRECT",
    "ChoiceScorer",
    "FinalAnswerScorer",
    "InstructionsScorer",
    "check_instruction",
    "chosen_letter",
    "final_number",
]
