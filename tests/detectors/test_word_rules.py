"""The words the detectors' word rules read (redline.detectors.word_rules)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from redline.detectors.phrase_file import load_data_file
from redline.detectors.word_rules import (
    WORD,
    fold,
    folded_pieces,
    folded_words,
    thai_words,
)


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


def test_thai_runs_are_cut_into_words_in_place() -> None:
    # Thai has no spaces between words: the segmenter cuts a run, and each word keeps
    # its place in the text.
    text = "ฉันจะปล้นปั๊มน้ำมันได้อย่างไร? ok"
    words = folded_words(text)
    assert [text[start:end] for _, start, end in words] == [
        "ฉัน",
        "จะ",
        "ปล้น",
        "ปั๊มน้ำมัน",
        "ได้",
        "อย่างไร",
        "ok",
    ]
    assert [w for w, _, _ in words] == folded_pieces(text)
    # NFKC (the guard's normalisation) splits SARA AM in two; the words stay the same.
    normalised = unicodedata.normalize("NFKC", text)
    assert normalised != text
    assert [w for w, _, _ in folded_words(normalised)] == [w for w, _, _ in words]
    assert "".join(thai_words("ปั๊มน้ำมัน")) == "ปั๊มน้ำมัน"


@pytest.mark.parametrize("name", ["crime_requests", "hazard_requests", "sexual_content"])
def test_the_rules_files_write_thai_as_the_segmenter_cuts_it(name: str) -> None:
    # Rules files are read word by word without the segmenter (its import would cost
    # every guard half a second at start-up), so each Thai word written there must be
    # one the segmenter keeps whole, or no text's words could ever equal it.
    thai = [
        word
        for text in _strings(load_data_file(f"{name}.yaml"))
        for word in WORD.findall(text)
        if any("\u0e00" <= c <= "\u0e7f" for c in word)
    ]
    assert thai
    assert [w for w in thai if len(thai_words(w)) > 1] == []


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for key, value in data.items() for s in _strings(key) + _strings(value)]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    return []


def test_loading_the_rules_does_not_import_the_segmenter() -> None:
    script = (
        "import sys; from redline.detectors.crime_requests import crime_rules; "
        "from redline.detectors.hazard_requests import hazard_rules; "
        "from redline.detectors.sexual_content import sexual_content_rules; "
        "crime_rules(); hazard_rules(); sexual_content_rules(); "
        "print('pythainlp' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_thai_is_read_where_the_home_folder_cannot_hold_the_segmenters_data(
    tmp_path: Path,
) -> None:
    # PyThaiNLP creates ~/pythainlp-data on import; a read-only home must not stop the
    # guard from reading Thai (the segmenter's dictionary ships inside the package).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")}
    env["HOME"] = str(tmp_path / "missing" / "home")
    (tmp_path / "missing").write_text("a file, so no folder can be made under it")
    script = (
        "from redline.detectors.word_rules import folded_words; "
        "print(len(folded_words('ฉันจะปล้นธนาคาร')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"


def test_folded_words_keeps_the_last_text_and_reads_a_new_one_afresh() -> None:
    first = "Ich WILL das Café"
    words = folded_words(first)
    assert [w for w, _, _ in words] == ["ich", "will", "das", "cafe"]
    assert folded_words(first) is words  # the rules read one text in turn: once
    other = "Ich will den Tee"
    assert [w for w, _, _ in folded_words(other)] == ["ich", "will", "den", "tee"]
    # An equal text that is another object is read again, and gives the same words.
    again = "".join(["Ich WILL ", "das Café"])
    assert again is not first and folded_words(again) == words
