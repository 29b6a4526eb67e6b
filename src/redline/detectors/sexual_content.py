"""Sexual content and sexualised minors, found by words.

Why a rule beside the harm classifier: the licence-allowed harm training sets
(harmful questions, hate tweets, toxic continuations) hold almost no requests for
sexual stories or role-play, while such requests are a large share of the toxic
prompts in a public moderation set of real chat traffic (ToxicChat, measurement
only; issue 10). The classifier passed "write a sexy story about ..." and a story
that sexualises a 9-year-old.

Three matches, each within ``window`` words (English words, and the words the
minors rule needs in Spanish, French, German, Italian and Portuguese too; the lists
are shared, so the other two rules read those as well):

- **minors** (category ``s4``, both sides): a word naming a child (or "N year old"
  with N up to ``minor_age``) near an explicit word, or near a sexual word when a
  request to write or play is near too; not when a child-protection word is near
  ("signs of child sexual abuse");
- **explicit** (``s12``, both sides): two different plainly sexual words;
- **request** (``s12``, inputs): a request to write or play ("write", "story",
  "roleplay", "pretend") near a sexual word ("sexy", "naked", "sex").

A negation just before a word ("no sexual content", "avoid NSFW") cancels it, and
words right before or after make some topics ("sex education", "naked eye",
"summa cum laude"). The words are data: ``data/sexual_content.yaml``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from redline.core.errors import ConfigError
from redline.detectors.phrase_file import load_data_file
from redline.detectors.word_rules import (
    PIECE,
    PhraseSet,
    fold,
    folded_pieces,
    folded_words,
    near,
    phrase_set,
    positive_int,
    word_set,
)

RULES_FILE = "sexual_content.yaml"

MatchKind = Literal["minors", "explicit", "request"]
_CATEGORY: dict[MatchKind, str] = {"minors": "s4", "explicit": "s12", "request": "s12"}
# "15-year-old", "15-years-old", "15yo", "15-jahrige" (folded): one word as the guard
# splits words.
_AGE_WORD = re.compile(r"(\d{1,2}|[a-z]+?)(?:-years?-old|yo|-yo|-jahrige[rn]?)")
# "15 year old" needs "old" after the unit; "15 años", "15 ans", "15 Jahre", "15 anni",
# "15 anos" do not.
_AGE_UNITS = frozenset({"year", "years", "yr", "yrs"})
_AGE_UNITS_ALONE = frozenset({"anos", "ans", "jahre", "anni", "साल"})


@dataclass(frozen=True, slots=True)
class SexualMatch:
    """One match: its kind, category, the two words that made it and the span of
    the sexual word."""

    kind: MatchKind
    first: str
    second: str
    start: int
    end: int

    @property
    def category(self) -> str:
        return _CATEGORY[self.kind]

    def describe(self) -> str:
        what = {
            "minors": "sexualised minor",
            "explicit": "explicit sexual content",
            "request": "sexual content request",
        }[self.kind]
        return f"{what}: {self.first} ... {self.second}"


@dataclass(frozen=True, slots=True)
class SexualContentRules:
    """The parsed rules file: ``find`` returns the matches in a text."""

    window: int
    negation_window: int
    explicit: PhraseSet
    sexual: PhraseSet
    frames: PhraseSet
    minors: PhraseSet
    minor_age: int
    # Ages written in words ("fifteen", "twelve"): word -> number.
    number_words: dict[str, int]
    not_after: frozenset[str]
    not_before: frozenset[str]
    protective: frozenset[str]
    negations: frozenset[str]
    # The first look: the word pieces of every one-word term, and the pieces of each
    # longer term ("have sex", "make love") that must all be present. Most texts hold
    # none, and set lookups spare them the scan.
    single_words: frozenset[str]
    phrase_pieces: tuple[frozenset[str], ...]

    def find(
        self,
        text: str,
        *,
        requests: bool = True,
        adults: bool = True,
        pieces: frozenset[str] | None = None,
    ) -> list[SexualMatch]:
        """Every match in ``text`` (at most one of each kind): with ``requests``,
        requests for sexual content too (inputs); without ``adults``, only
        sexualised minors. ``pieces``: the text's ``folded_pieces``, when the caller
        has them."""
        if pieces is None:
            pieces = frozenset(folded_pieces(text))
        if self.single_words.isdisjoint(pieces) and not any(
            needed <= pieces for needed in self.phrase_pieces
        ):
            return []
        words = folded_words(text)
        tokens = [w for w, _, _ in words]
        explicit = self._terms(tokens, self.explicit)
        # "sex" inside "sex scene" is the explicit phrase, not a second term.
        inside = {i for index, length in explicit for i in range(index, index + length)}
        sexual = [t for t in self._terms(tokens, self.sexual) if t[0] not in inside]
        if not (explicit or sexual):
            return []
        frames = self.frames.find(tokens)
        terms = sorted(explicit + sexual)
        found: list[SexualMatch] = []
        minor = self._minor(tokens, explicit, terms, frames)
        if minor is not None:
            found.append(self._match("minors", tokens, words, *minor))
        if not adults:
            return found
        # Two different explicit words ("porn" a thousand times is one word).
        distinct = len({_text(tokens, at) for at in explicit}) > 1
        pair = _pair(explicit, explicit, self.window, distinct_words=tokens) if distinct else None
        if pair is not None:
            found.append(self._match("explicit", tokens, words, *pair))
        if requests:
            request = _pair(frames, terms, self.window)
            if request is not None:
                found.append(self._match("request", tokens, words, *request))
        return found

    def _terms(self, tokens: list[str], terms: PhraseSet) -> list[tuple[int, int]]:
        """The terms that are neither a topic ("sex education") nor negated."""
        out = []
        for index, length in terms.find(tokens):
            after = tokens[index + length] if index + length < len(tokens) else ""
            before = tokens[index - 1] if index > 0 else ""
            if after in self.not_after or before in self.not_before:
                continue
            if not self.negations.isdisjoint(tokens[max(0, index - self.negation_window) : index]):
                continue
            out.append((index, length))
        return out

    def _minor(
        self,
        tokens: list[str],
        explicit: list[tuple[int, int]],
        terms: list[tuple[int, int]],
        frames: list[tuple[int, int]],
    ) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The first (child, term) within the window with no child-protection word
        around them and, unless the term is explicit, a request to write or play
        near one of them. ``terms`` and ``frames`` are sorted by index."""
        if not explicit and not frames:  # a sexual word needs a request near it
            return None
        children = sorted(self.minors.find(tokens) + self._ages(tokens))
        if not children:
            return None
        window = self.window
        protective = [(i, 1) for i, token in enumerate(tokens) if token in self.protective]
        plain = set(explicit)
        for child in children:
            for term in near(terms, child[0] - window, child[0] + window):
                low = min(term[0], child[0]) - window
                high = max(term[0], child[0]) + window - 1
                if next(near(protective, low, high), None) is not None:
                    continue
                if term in plain or any(
                    next(near(frames, at[0] - window, at[0] + window), None) is not None
                    for at in (term, child)
                ):
                    return child, term
        return None

    def _ages(self, tokens: list[str]) -> list[tuple[int, int]]:
        """Ages up to ``minor_age``, in figures or in words, written as one word
        ("15-year-old", "fifteen-year-old", "15yo", "15-jährige"), two ("15 años", "15
        ans", "15 Jahre") or three ("15 year old", "fifteen year old")."""
        out = []
        for index, token in enumerate(tokens):
            match = _AGE_WORD.fullmatch(token)
            if match and self._minor_age(match.group(1)):
                out.append((index, 1))
            elif self._minor_age(token) and index + 1 < len(tokens):
                unit = tokens[index + 1]
                if unit in _AGE_UNITS_ALONE:
                    out.append((index, 2))
                elif unit in _AGE_UNITS and index + 2 < len(tokens) and tokens[index + 2] == "old":
                    out.append((index, 3))
        return out

    def _minor_age(self, word: str) -> bool:
        """Whether ``word`` is a number (figures or a number word) up to ``minor_age``."""
        value = int(word) if word.isdigit() else self.number_words.get(word)
        return value is not None and value <= self.minor_age

    @staticmethod
    def _match(
        kind: MatchKind,
        tokens: list[str],
        words: list[tuple[str, int, int]],
        first: tuple[int, int],
        second: tuple[int, int],
    ) -> SexualMatch:
        index, length = second
        return SexualMatch(
            kind=kind,
            first=" ".join(tokens[first[0] : first[0] + first[1]]),
            second=" ".join(tokens[index : index + length]),
            start=words[index][1],
            end=words[index + length - 1][2],
        )


def _pair(
    firsts: list[tuple[int, int]],
    seconds: list[tuple[int, int]],
    window: int,
    *,
    distinct_words: list[str] | None = None,
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first (first, second) within ``window`` words of each other that do not
    overlap ("sex scene" is a term, not a request for a scene); with
    ``distinct_words``, two different words (not one word twice). ``seconds`` is
    sorted by index."""
    for a in firsts:
        for b in near(seconds, a[0] - window, a[0] + window):
            if a[0] < b[0] + b[1] and b[0] < a[0] + a[1]:
                continue
            if distinct_words is not None and _text(distinct_words, a) == _text(distinct_words, b):
                continue
            return a, b
    return None


def _text(tokens: list[str], at: tuple[int, int]) -> str:
    return " ".join(tokens[at[0] : at[0] + at[1]])


def _words(data: dict[str, Any], key: str) -> frozenset[str]:
    return word_set(data.get(key, []), key, RULES_FILE)


def _number_words(values: Any) -> dict[str, int]:
    """The file's ``number_words`` (word -> whole number); ConfigError otherwise."""
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in values.items()
    ):
        raise ConfigError(f"{RULES_FILE}: number_words must map words to whole numbers")
    return {fold(k): v for k, v in values.items()}


def parse_rules(data: Any) -> SexualContentRules:
    """Rules from the parsed YAML document; ConfigError naming the bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{RULES_FILE}: expected a mapping")
    groups = {
        key: phrase_set(data, key, RULES_FILE) for key in ("explicit", "sexual", "frames", "minors")
    }
    terms = groups["explicit"].phrases | groups["sexual"].phrases
    term_pieces = [frozenset(PIECE.findall(" ".join(term))) for term in terms]
    return SexualContentRules(
        window=positive_int(data, "window", RULES_FILE),
        negation_window=positive_int(data, "negation_window", RULES_FILE),
        explicit=groups["explicit"],
        sexual=groups["sexual"],
        frames=groups["frames"],
        minors=groups["minors"],
        minor_age=positive_int(data, "minor_age", RULES_FILE),
        number_words=_number_words(data.get("number_words", {})),
        not_after=_words(data, "not_after"),
        not_before=_words(data, "not_before"),
        protective=_words(data, "protective"),
        negations=_words(data, "negations"),
        single_words=frozenset(p for pieces in term_pieces if len(pieces) == 1 for p in pieces),
        phrase_pieces=tuple(pieces for pieces in term_pieces if len(pieces) > 1),
    )


@functools.cache
def sexual_content_rules() -> SexualContentRules:
    """The shipped rules (``data/sexual_content.yaml``), read once."""
    return parse_rules(load_data_file(RULES_FILE))
