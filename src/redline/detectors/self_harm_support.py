"""Texts about suicide or self-harm that ask for help, help someone, or study the
topic, and the same text with its self-harm words made neutral.

Why: the harm classifier learnt the words of requests for self-harm, and it
blocked people who used those words to ask for help: "How do I stop wanting to kill
myself?" scored 0.81 and "How can I support my brother, who has suicidal
thoughts?" 0.92 (issue 10). A refusal is the wrong answer to a person in crisis.

``SupportRules.neutral_view`` says whether a text talks about self-harm this way: a
self-harm term (``topic_terms``: "suicide", "self-harm"; or ``act_terms`` such as
"kill myself", only right after a frame that makes the act something wanted,
thought of or said: "stop wanting to", "signs that someone wants to"), a word of
help, support or study (``frames``: "cope", "therapist", "warning signs",
"prevention", "rates") and none of ``vetoes`` outside the terms (a method, a dose,
hiding it, helping someone do it, pushing someone into it). If it does, the view is
the text with each term replaced by ``neutral`` ("How do I stop wanting to
sadness?"). The harm scanner scores both and keeps the lower score per category, so
the words of the topic alone no longer block a text; a harmful request beside them
("... and how do I make a pipe bomb") still scores as it did.

The words are in ``data/self_harm_support.yaml`` (English only).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from redline.core.errors import ConfigError
from redline.detectors.phrase_file import load_data_file
from redline.detectors.word_rules import PhraseSet, folded_words, phrase_set, positive_int
from redline.detectors.word_rules import phrases as file_phrases

RULES_FILE = "self_harm_support.yaml"


@dataclass(frozen=True, slots=True)
class SupportRules:
    """The parsed rules file; ``neutral_view`` reads a text."""

    neutral: str
    # Lower-cased pieces every term holds one of: a text with none is not read on.
    first_look: tuple[str, ...]
    topic_terms: PhraseSet
    act_terms: PhraseSet
    act_frames: PhraseSet
    act_frame_window: int
    frames: PhraseSet
    vetoes: PhraseSet

    def neutral_view(self, text: str) -> str | None:
        """``text`` with its self-harm terms replaced by ``neutral``, when it talks
        about self-harm to ask for help, to help, or as a topic; None otherwise."""
        lowered = text.lower()  # a substring test per piece: a regex alternation is ~15x slower
        if not any(piece in lowered for piece in self.first_look):
            return None  # most texts: no self-harm word at all
        words = folded_words(text)
        tokens = [word for word, _, _ in words]
        terms = self.topic_terms.find(tokens)
        acts = self.act_terms.find(tokens)
        if acts:
            frame_ends = {index + length for index, length in self.act_frames.find(tokens)}
            for index, _ in acts:
                if not any(index - gap in frame_ends for gap in range(self.act_frame_window + 1)):
                    return None  # an act nobody is said to want or think of
        terms = _outermost(terms + acts)
        if not terms or not self.frames.find(tokens):
            return None
        covered = {i for index, length in terms for i in range(index, index + length)}
        for index, length in self.vetoes.find(tokens):
            if not covered.issuperset(range(index, index + length)):
                return None
        pieces: list[str] = []
        cursor = 0
        for index, length in terms:
            pieces += [text[cursor : words[index][1]], self.neutral]
            cursor = words[index + length - 1][2]
        return "".join([*pieces, text[cursor:]])


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans (index, length) in order with those inside an earlier one dropped:
    "suicide attempt" and "suicide" at the same place are one term."""
    kept: list[tuple[int, int]] = []
    for index, length in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and index < kept[-1][0] + kept[-1][1]:
            continue
        kept.append((index, length))
    return kept


def parse_rules(data: Any, file: str = RULES_FILE) -> SupportRules:
    """Rules from the parsed YAML document ``file`` (the name errors give);
    ConfigError naming the bad field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping at the top level")
    neutral = data.get("neutral")
    if not isinstance(neutral, str) or not neutral.strip():
        raise ConfigError(f"{file}: 'neutral' must be a non-empty string")
    looks = file_phrases(data.get("first_look"), "first_look", file)
    first_look = [" ".join(words) for words in looks]
    topic_terms = phrase_set(data, "topic_terms", file)
    act_terms = phrase_set(data, "act_terms", file)
    for term in sorted(topic_terms.phrases | act_terms.phrases):
        if not any(piece in " ".join(term) for piece in first_look):
            raise ConfigError(
                f"{file}: the term {' '.join(term)!r} holds no piece of 'first_look', "
                "so no text would be read for it"
            )
    return SupportRules(
        neutral=neutral,
        first_look=tuple(first_look),
        topic_terms=topic_terms,
        act_terms=act_terms,
        act_frames=phrase_set(data, "act_frames", file),
        act_frame_window=positive_int(data, "act_frame_window", file),
        frames=phrase_set(data, "frames", file),
        vetoes=phrase_set(data, "vetoes", file),
    )


@functools.cache
def support_rules() -> SupportRules:
    """The shipped rules, read once."""
    return parse_rules(load_data_file(RULES_FILE))
