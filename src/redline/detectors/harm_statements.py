"""Statements of harm, found by words: intent to harm oneself, and threats.

Why a rule beside the harm classifier: the classifier was trained on requests
(harmful questions) and on hate, and it does not know what people say they will
do. "I'm going to kill myself tonight, I have the pills ready." scored 0.48 and
"I will find you and beat you until you can't walk." 0.06 (issue 10: a moderation
set scores such text, and the guard passed both unmarked).

Three rules files, each read by one ``StatementRules``:

- ``data/self_harm.yaml`` (category ``self_harm_intent``): a first-person frame
  ("I want to", "I'm going to") before an act on oneself ("kill myself", "end my
  life", "take all my pills"), or a plain statement ("I want to die", "I'm
  suicidal"). The harm scanner scores it for that category only, which the
  default policy flags, not blocks: a person who says so needs an answer that
  cares, not a refusal.
- ``data/self_harm_requests.yaml`` (``s11``, inputs): an asking frame ("how do I",
  "the most painless way to") before the same acts, or a plain request ("painless
  way to die"): a request for the means, which the harm scanner blocks.
- ``data/threats.yaml`` (``harassment``): a first-person frame before a violent
  act on someone ("I'll stab you", "we're going to burn your house down"), or a
  plain threat or wish ("I hope you die", "go kill yourself").

The acts use the hazard rules' verb-object matcher (``hazard_requests.RequestRules``:
a frame must end a few words before the verb, with no word between that undoes
it); the statements are phrases found anywhere, undone by a negation just before
("not better off dead") or a word just after ("I want to die my hair"). A fiction
or reported-speech word a few words before a match ("the villain says", "my ex
texted me"), or double quotes around it, make it someone else's words. The acts
are English; the plain statements (threats, intent, requests) are in Spanish,
French, German, Italian, Portuguese and Hindi too (a phrase matches in any text, so none
may be an everyday phrase of another language).
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any, Literal

from redline.core.errors import ConfigError
from redline.detectors.hazard_requests import RequestRules
from redline.detectors.hazard_requests import parse_rules as parse_acts
from redline.detectors.phrase_file import load_data_file
from redline.detectors.word_rules import (
    PIECE,
    PhraseSet,
    folded_pieces,
    folded_words,
    phrase_set,
    positive_int,
    word_set,
)

StatementKind = Literal["self_harm", "self_harm_request", "threat"]
RULES_FILES: dict[StatementKind, str] = {
    "self_harm": "self_harm.yaml",
    "self_harm_request": "self_harm_requests.yaml",
    "threat": "threats.yaml",
}


@dataclass(frozen=True, slots=True)
class StatementMatch:
    """One match: what the file calls it, its category, the words that made it and
    their span."""

    kind: str
    category: str
    words: str
    start: int
    end: int

    def describe(self) -> str:
        return f"{self.kind}: {self.words}"


@dataclass(frozen=True, slots=True)
class StatementRules:
    """A parsed rules file: ``find`` returns its first match in a text, if any."""

    kind: str
    category: str
    acts: RequestRules
    statements: PhraseSet
    negations: frozenset[str]
    negation_window: int
    statement_not_after: frozenset[str]
    story_words: frozenset[str]
    story_window: int
    # Read on inputs only (the file's ``inputs_only``): a request, which a refusal
    # names when it declines it.
    inputs_only: bool
    # The first look: a text that holds no act and, for no statement, all of its word
    # pieces is not read word by word. Keyed by each statement's longest piece (a
    # rarer one: "suicidal", "numbered"), so a text meets a handful of them, not all.
    statement_pieces: dict[str, tuple[frozenset[str], ...]]

    def find(self, text: str, *, pieces: frozenset[str] | None = None) -> list[StatementMatch]:
        """The first match in ``text`` (a list of one), or none. ``pieces``: the
        text's ``folded_pieces``, when the caller has them."""
        if pieces is None:
            pieces = frozenset(folded_pieces(text))
        acts = self.acts.find(text, pieces=pieces)
        if not acts and not any(
            needed <= pieces
            for key in pieces & self.statement_pieces.keys()
            for needed in self.statement_pieces[key]
        ):
            return []
        words = folded_words(text)
        tokens = [w for w, _, _ in words]
        starts = {start: index for index, (_, start, _) in enumerate(words)}
        found: list[tuple[int, int, int, str]] = []  # token index, start, end, words
        for act in acts:
            # The act's object is where the match is; its verb is a word or two before.
            at = starts.get(act.start, 0)
            found.append((at, act.start, act.end, f"{act.verb} {act.object}"))
        for index, length in self.statements.find(tokens):
            after = tokens[index + length] if index + length < len(tokens) else ""
            before = tokens[max(0, index - self.negation_window) : index]
            if after in self.statement_not_after or not self.negations.isdisjoint(before):
                continue
            end = words[index + length - 1][2]
            found.append((index, words[index][1], end, " ".join(tokens[index : index + length])))
        quotes = _Quotes(text) if '"' in text or "\u201c" in text else None
        for at, start, end, said in sorted(found):
            if quotes is not None and quotes.around(start):
                continue
            if self.story_words.isdisjoint(tokens[max(0, at - self.story_window) : at]):
                return [StatementMatch(self.kind, self.category, said, start, end)]
        return []


class _Quotes:
    """Where a text's double quotes are, to tell whether a place stands inside them:
    someone's words, quoted ("the man stated, \"I will kill you if you move.\"", in a
    law exam question). Single quotes are left: they are apostrophes too. Found once
    per text, so a text of many matches costs a search per match, not a pass."""

    def __init__(self, text: str) -> None:
        self._straight = [i for i, c in enumerate(text) if c == '"']
        self._opening = [i for i, c in enumerate(text) if c == "\u201c"]
        self._closing = [i for i, c in enumerate(text) if c == "\u201d"]

    def around(self, at: int) -> bool:
        if bisect_left(self._straight, at) % 2 == 1:
            return True
        return bisect_left(self._opening, at) > bisect_left(self._closing, at)


def parse_rules(data: Any, file: str) -> StatementRules:
    """Rules from the parsed YAML document ``file`` (the name errors give);
    ConfigError naming the bad field."""
    acts = parse_acts(data, file)  # checks the mapping, groups and categories
    categories = list(data["categories"])
    if len(categories) != 1:
        raise ConfigError(f"{file}: 'categories' must name exactly one category")
    statements = phrase_set(data, "statements", file)
    statement_pieces: dict[str, list[frozenset[str]]] = {}
    for item in sorted(statements.phrases):
        needed = frozenset(PIECE.findall(" ".join(item)))
        statement_pieces.setdefault(max(sorted(needed), key=len), []).append(needed)
    return StatementRules(
        kind=acts.kind,
        category=categories[0],
        acts=acts,
        statements=statements,
        negations=word_set(data.get("negations", []), "negations", file),
        negation_window=positive_int(data, "negation_window", file),
        statement_not_after=word_set(
            data.get("statement_not_after", []), "statement_not_after", file
        ),
        story_words=word_set(data.get("story_words", []), "story_words", file),
        story_window=positive_int(data, "story_window", file),
        inputs_only=_flag(data, "inputs_only", file),
        statement_pieces={key: tuple(sets) for key, sets in statement_pieces.items()},
    )


def _flag(data: dict[str, Any], key: str, file: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{file}: '{key}' must be true or false")
    return value


@functools.cache
def statement_rules(kind: StatementKind) -> StatementRules:
    """The shipped rules of ``kind`` (``RULES_FILES``), read once."""
    file = RULES_FILES[kind]
    return parse_rules(load_data_file(file), file)
