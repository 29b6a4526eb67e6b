"""Cheap necessary conditions that let a regex rule be skipped without running it.

Each PII or secret pattern walks the whole text with look-behinds at every
position (20-60 us per rule per 1,000 characters); most texts lack what any
match needs (an "@", a dozen digits, a provider's key prefix). A rule runs only
when its conditions hold, so the result is the same as running every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASCII_DIGITS = dict.fromkeys(map(ord, "0123456789"))


@dataclass(frozen=True, slots=True)
class RuleNeeds:
    """What any match of a rule contains.

    ``min_digits``: at least this many digits. ``any_of``: one of these exact
    substrings. ``any_of_lower``: one of these in the lower-cased text (for
    case-insensitive rules). ``min_token``: a run without whitespace at least
    this long. ``hint``: a simpler pattern found inside every match (the rule's
    own core without its look-arounds: a pattern that starts with a look-behind
    is tried at every position, one that starts with a character class is not).
    """

    min_digits: int = 0
    any_of: tuple[str, ...] = ()
    any_of_lower: tuple[str, ...] = ()
    min_token: int = 0
    hint: re.Pattern[str] | None = None


ALWAYS = RuleNeeds()


class TextFacts:
    """The facts about one text that ``RuleNeeds`` ask for, computed on first use."""

    __slots__ = ("_digits", "_longest", "_lower", "ascii", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Outside ASCII, \d matches other scripts' digits and (?i) folds characters
        # such as the long s: the digit and lower-case checks are skipped there.
        self.ascii = text.isascii()
        self._digits: int | None = None
        self._lower: str | None = None
        self._longest: int | None = None

    def digits(self) -> int:
        if self._digits is None:
            self._digits = len(self.text) - len(self.text.translate(_ASCII_DIGITS))
        return self._digits

    def longest_token(self) -> int:
        if self._longest is None:
            self._longest = max(map(len, self.text.split()), default=0)
        return self._longest

    def allows(self, needs: RuleNeeds) -> bool:
        """False only when no match of a rule with ``needs`` can be in the text."""
        # any(map(...)) rather than a generator: this runs ~30 times a message.
        if needs.any_of and not any(map(self.text.__contains__, needs.any_of)):
            return False
        if needs.min_token and self.longest_token() < needs.min_token:
            return False
        if self.ascii:
            if needs.min_digits and self.digits() < needs.min_digits:
                return False
            if needs.any_of_lower:
                if self._lower is None:
                    self._lower = self.text.lower()
                if not any(map(self._lower.__contains__, needs.any_of_lower)):
                    return False
        # A hint is compiled with its rule's flags, so it holds in any script.
        return needs.hint is None or needs.hint.search(self.text) is not None
