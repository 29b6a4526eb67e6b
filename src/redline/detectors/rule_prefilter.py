"""Cheap necessary conditions that let a regex rule be skipped without running it.

Each PII or secret pattern walks the whole text with look-behinds at every
position (20-60 us per rule per 1,000 characters); most texts lack what any
match needs (an "@", a dozen digits, a provider's key prefix). A rule runs only
when its conditions hold, so the result is the same as running every rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

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


class BatchFacts:
    """``TextFacts`` for a whole batch at once: which texts a set of rules may match.

    The batch is joined into one string (texts apart by ``SEPARATOR``: a NUL,
    which no condition contains, between line breaks, which stop every rule's
    character runs) and each condition is one C-level scan of it (``str.find`` or
    a regex), its hits mapped back to texts by offset; digit counts are one numpy
    pass. The answer for each text is exactly ``any(TextFacts(text).allows(n)
    for n in needs)``: a screen that keeps every text a rule could match.
    """

    SEPARATOR = "\n\x00\n"

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.count = len(texts)
        self.joined = self.SEPARATOR.join(texts)
        gap = len(self.SEPARATOR)
        lengths = np.fromiter((len(t) + gap for t in texts), dtype=np.int64, count=len(texts))
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        self.ascii = np.fromiter((t.isascii() for t in texts), dtype=bool, count=len(texts))
        self._lower: str | None = None
        self._digits: np.ndarray | None = None
        self._tokens: dict[int, np.ndarray] = {}

    def _owners(self, positions: list[int]) -> np.ndarray:
        """Which text each position of the joined string lies in, as a mask."""
        mask = np.zeros(self.count, dtype=bool)
        if positions and self.count:
            mask[np.searchsorted(self.starts, np.asarray(positions), side="right") - 1] = True
        return mask

    def containing(self, needles: tuple[str, ...], *, lower: bool = False) -> np.ndarray:
        """Texts holding any of ``needles`` (in the lower-cased text with ``lower``)."""
        haystack = self.joined
        if lower:
            if self._lower is None:
                self._lower = self.joined.lower()
            haystack = self._lower
        positions: list[int] = []
        for needle in needles:
            at = haystack.find(needle)
            while at >= 0:
                positions.append(at)
                # The rest of this text cannot add anything: skip to the next text.
                owner = int(np.searchsorted(self.starts, at, side="right"))
                if owner >= self.count:
                    break
                at = haystack.find(needle, int(self.starts[owner]))
        return self._owners(positions)

    def matching(self, pattern: re.Pattern[str]) -> np.ndarray:
        """Texts ``pattern`` finds something in (for patterns that match no NUL, so
        that no match spans two texts)."""
        return self._owners([m.start() for m in pattern.finditer(self.joined)])

    def matches(
        self, pattern: re.Pattern[str], needs: RuleNeeds
    ) -> Iterator[tuple[int, re.Match[str]]]:
        """``(text index, match)`` for the matches of ``pattern`` in every text that
        ``needs`` allows, found in one pass over those texts joined. A rule's match
        never crosses the separator (its look-arounds see a line break there, as at
        a text's edge), so each text gets the matches ``finditer`` finds in it alone
        (offsets are into the joined string)."""
        chosen = np.flatnonzero(self.allows_any([needs]))
        if not len(chosen):
            return
        part = self if len(chosen) == self.count else BatchFacts([self.texts[i] for i in chosen])
        for match in pattern.finditer(part.joined):
            owner = int(np.searchsorted(part.starts, match.start(), side="right")) - 1
            yield int(chosen[owner]), match

    def digits(self) -> np.ndarray:
        if self._digits is None:
            codes = np.frombuffer(self.joined.encode("utf-32-le"), dtype=np.uint32)
            is_digit = ((codes >= 48) & (codes <= 57)).astype(np.int64)
            self._digits = (
                np.add.reduceat(is_digit, self.starts) if self.count else np.zeros(0, np.int64)
            )
        return self._digits

    def token_of_length(self, length: int) -> np.ndarray:
        if length not in self._tokens:
            self._tokens[length] = self.matching(re.compile(rf"[^\s\x00]{{{length},}}"))
        return self._tokens[length]

    def allows_any(self, needs: list[RuleNeeds]) -> np.ndarray:
        """Per text: True when some rule with these needs may match it."""
        found = np.zeros(self.count, dtype=bool)
        for item in needs:
            if found.all():
                break
            ok = np.ones(self.count, dtype=bool)
            if item.any_of:
                ok &= self.containing(item.any_of)
            if item.min_token:
                ok &= self.token_of_length(item.min_token)
            if item.min_digits:
                ok &= ~self.ascii | (self.digits() >= item.min_digits)
            if item.any_of_lower:
                ok &= ~self.ascii | self.containing(item.any_of_lower, lower=True)
            if item.hint is not None:
                ok &= self.matching(item.hint)
            found |= ok
        return found
