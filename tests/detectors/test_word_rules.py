"""The words the detectors' word rules read (redline.detectors.word_rules)."""

from __future__ import annotations

from redline.detectors.word_rules import WORD, fold, folded_pieces, folded_words


def test_a_word_keeps_its_combining_marks() -> None:
    # Devanagari vowel signs, virama and anusvara are marks, not letters: a word of
    # letters alone would cut "पेट्रोल" into four.
    assert WORD.findall("मैं पेट्रोल पंप कैसे लूट सकता हूँ?") == [
        "मैं",
        "पेट्रोल",
        "पंप",
        "कैसे",
        "लूट",
        "सकता",
        "हूँ",
    ]
    assert WORD.findall("ขโมยรถ ได้อย่างไร") == ["ขโมยรถ", "ได้อย่างไร"]  # Thai vowel marks
    assert WORD.findall("fabrico\u0301 don't well-known") == [
        "fabrico\u0301",
        "don't",
        "well-known",
    ]
    # A mark with no letter before it is no word; punctuation ends one.
    assert WORD.findall("\u093e \u0301 है। क्या") == ["है", "क्या"]


def test_folding_reads_spelling_variants_alike() -> None:
    assert fold("Fabricó") == "fabrico"
    assert fold("हूँ") == fold("हूं")  # candrabindu and anusvara
    assert fold("फ़ोन") == fold("फोन")  # with and without nukta
    assert [w for w, _, _ in folded_words("मैं फ़ोन कैसे लूँ")] == folded_pieces("मैं फोन कैसे लूं")


def test_words_keep_their_place_in_the_text() -> None:
    text = "कार चोरी, car theft"
    assert [text[start:end] for _, start, end in folded_words(text)] == [
        "कार",
        "चोरी",
        "car",
        "theft",
    ]
