"""The refusal phrases' keyword prefilter, and the lower-cased ASCII search, never
change what find_refusal finds."""

import re

import pytest

from redline.classifiers.refusal_sources import (
    load_dices_unsafe,
    load_gptfuzz,
    load_harmbench_refusals,
    load_hh_rlhf_pairs,
)
from redline.detectors import refusal
from redline.detectors.literal_needs import fold_for_keywords, needs_one_of
from redline.detectors.phrase_file import load_data_file

STRENGTH_SETS = [("strong", "weak"), ("strong",), ("weak",)]


def _phrase_file():
    return load_data_file(refusal.PHRASE_FILE)


def test_every_shipped_phrase_is_proven_to_need_a_keyword():
    data = _phrase_file()
    keywords = [k.lower() for k in data["keywords"]]
    unproven = [e["pattern"] for e in data["phrases"] if not needs_one_of(e["pattern"], keywords)]
    assert unproven == []  # add a keyword that every match of the new phrase holds
    anchors = [a.lower() for a in data["keyword_anchors"]]
    assert [k for k in keywords if not any(a in k for a in anchors)] == []
    assert refusal.prefilter_keywords() == refusal.RefusalPrefilter(tuple(keywords), tuple(anchors))


@pytest.mark.parametrize(
    ("pattern", "keywords", "proven"),
    [
        (r"\bno way\b", ["sorry"], False),  # a new phrase without a keyword
        (r"\bi (?:can't|cannot)\b", ["can't", "cannot"], True),
        (r"\bi (?:can't|will not)\b", ["can't"], False),  # one branch escapes
        (r"\bi ca(?:n'|nno)t\b", ["can't", "cannot"], True),  # across a group
        (r"\bi apologi[sz]e\b", ["apologise", "apologize"], True),  # a small class
        (r"\bi (?:really )?sorry", ["really"], False),  # optional
        (r"\bsorry\s+\w+", ["sorry"], True),
        (r"(?:sorry)+", ["sorry"], True),  # a mandatory repeat
        (r"(?:sorry)*", ["sorry"], False),
        (r"\w+ sorry", ["sorry"], True),
        (r"[a-z]orry", ["orry"], True),  # a wide class breaks the run, the rest holds
        (r"[a-z]orry", ["sorry"], False),
        (r"\bSORRY\b", ["sorry"], True),  # case-insensitive
        (r"sorr\u0131", ["sorri"], False),  # a non-ASCII literal: not shown
    ],
)
def test_needs_one_of_proves_only_what_holds(pattern, keywords, proven):
    assert needs_one_of(pattern, keywords) is proven


@pytest.fixture
def one_more_phrase(monkeypatch):
    """``add(pattern)``: the phrase file with one more weak phrase, caches cleared."""

    def add(pattern):
        data = _phrase_file()
        extended = {**data, "phrases": [*data["phrases"], {"strength": "weak", "pattern": pattern}]}
        monkeypatch.setattr(refusal, "load_data_file", lambda name: extended)
        refusal._ascii_patterns.cache_clear()
        refusal.prefilter_keywords.cache_clear()

    yield add
    monkeypatch.undo()
    refusal._ascii_patterns.cache_clear()
    refusal.prefilter_keywords.cache_clear()


def test_an_upper_case_letter_in_a_pattern_turns_the_ascii_search_off(one_more_phrase):
    assert refusal._ascii_patterns() is not None
    one_more_phrase(r"\bno\S")  # lower-casing would turn \S into \s
    assert refusal._ascii_patterns() is None


def test_an_unproven_phrase_turns_the_prefilter_off(one_more_phrase):
    one_more_phrase(r"\bnope\b")
    assert refusal.prefilter_keywords() is None
    assert refusal.may_hold_refusal("nothing in here")


def test_folding_covers_every_character_a_case_insensitive_regex_reads_as_ascii():
    letter = re.compile("[a-z]", re.IGNORECASE)
    missed = []
    for code in range(128, 0x110000):
        char = chr(code)
        if letter.fullmatch(char):
            folded = fold_for_keywords(char)
            if not any(re.fullmatch(a, char, re.IGNORECASE) for a in folded if a.isascii()):
                missed.append(hex(code))
    assert missed == []


def _real_responses(data_dir):
    texts = [r.text for r in load_gptfuzz(data_dir)]
    texts += [r.text for r in load_harmbench_refusals(data_dir)]
    texts += [r.text for r in load_dices_unsafe(data_dir)]
    for chosen, rejected in load_hh_rlhf_pairs(data_dir):
        texts += [chosen, rejected]
    return list(dict.fromkeys(texts))


def _variants(text: str) -> list[str]:
    """The text as written, shouting with curly apostrophes, and with the
    non-ASCII letters a case-insensitive regex reads as i and s."""
    return [
        text,
        text.upper().replace("'", "\u2019"),
        text.replace("I", "\u0130").replace("i", "\u0131").replace("s", "\u017f"),
    ]


def test_verdicts_identical_with_and_without_the_prefilter_on_real_responses(
    shared_data, monkeypatch
):
    texts = [v for text in _real_responses(shared_data) for v in _variants(text)]
    assert len(texts) > 20_000  # three variants of ~10,000 responses
    assert refusal.prefilter_keywords() is not None

    def found():
        return [refusal.find_refusal(t, strengths=s) for t in texts for s in STRENGTH_SETS]

    with_prefilter = found()
    # The reference: every text through the case-insensitive Unicode patterns.
    monkeypatch.setattr(refusal, "prefilter_keywords", lambda: None)
    monkeypatch.setattr(refusal, "_ascii_patterns", lambda: None)
    without = found()
    assert with_prefilter == without
    # Not vacuous: many responses refuse and many do not.
    matched = sum(m is not None for m in without[:: len(STRENGTH_SETS)])
    assert 0.2 < matched / len(texts) < 0.8
