"""Invisible and obfuscated Unicode: zero-width characters, bidirectional
controls (Trojan Source), Unicode tag characters (ASCII smuggling), variation
selectors used to hide bytes, and words that mix Latin with look-alike letters.
"""

from __future__ import annotations

import re

from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side, Span

INVISIBLE_CATEGORIES = (
    "zero_width",
    "bidi",
    "tag_characters",
    "variation_selectors",
    "mixed_script",
)

_ZERO_WIDTH = re.compile(
    "[\u200b\u200c\u2060-\u2064\u180e\u00ad]+|(?<=[A-Za-z])\u200d+(?=[A-Za-z])"
)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]+")
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
# VS1-16 are ordinary after emoji and CJK; supplementary selectors (VS17-256) and
# runs of two or more carry data.
_VARIATION = re.compile("[\U000e0100-\U000e01ef]+|[\ufe00-\ufe0f]{2,}")
# A word with Latin letters and Cyrillic/Greek look-alikes inside it.
_MIXED = re.compile(
    r"\b(?=[\w]{0,40}[a-zA-Z])(?=[\w]{0,40}[\u0400-\u04ff\u0370-\u03ff])[\w]{2,40}\b"
)
# What every _MIXED match contains: looked for first, as the two look-aheads at
# every word cost ~0.2 ms per 1,000 characters of non-ASCII text that has none.
_LOOKALIKE_SCRIPTS = re.compile("[\u0400-\u04ff\u0370-\u03ff]")


def decode_tag_characters(text: str) -> str:
    """What ASCII a run of tag characters spells (U+E0020-E007E mirror ASCII)."""
    return "".join(chr(ord(c) - 0xE0000) for c in text if 0xE0020 <= ord(c) <= 0xE007E)


@SCANNERS.register("invisible_text")
class InvisibleTextScanner:
    """Finds hidden or deceptive characters. Redaction deletes them; mixed-script
    words are reported but left as they are."""

    name = "invisible_text"
    sides: frozenset[Side] = frozenset({"input", "output"})
    categories = INVISIBLE_CATEGORIES
    redactable = True
    # The characters it looks for are exactly what the classification view removes.
    text_view = "raw"

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = dict.fromkeys(self.categories, 0.0)
        if text.isascii():
            return ScanResult(scores=scores)
        spans: list[Span] = []
        notes: dict[str, str] = {}
        zero_width = 0
        for match in _ZERO_WIDTH.finditer(text):
            if match.start() == 0 and match.group(0) == "\ufeff":
                continue
            zero_width += match.end() - match.start()
            spans.append(Span(match.start(), match.end(), "zero_width"))
        if zero_width:
            # One stray soft hyphen or ZWSP is common in copy-pasted text; several are not.
            scores["zero_width"] = min(1.0, 0.35 * zero_width)
        for match in _BIDI.finditer(text):
            spans.append(Span(match.start(), match.end(), "bidi"))
            scores["bidi"] = 1.0
        hidden: list[str] = []
        for match in _TAGS.finditer(text):
            spans.append(Span(match.start(), match.end(), "tag_characters"))
            scores["tag_characters"] = 1.0
            hidden.append(decode_tag_characters(match.group(0)))
        if hidden:
            notes["tag_characters"] = "hidden text: " + " ".join(hidden)[:200]
        for match in _VARIATION.finditer(text):
            spans.append(Span(match.start(), match.end(), "variation_selectors"))
            scores["variation_selectors"] = 1.0
        mixed = (
            [m.group(0) for m in _MIXED.finditer(text)] if _LOOKALIKE_SCRIPTS.search(text) else []
        )
        if mixed:
            scores["mixed_script"] = min(1.0, 0.4 * len(mixed))
            notes["mixed_script"] = "mixed-script words: " + ", ".join(mixed[:5])
        spans.sort(key=lambda s: s.start)
        return ScanResult(scores=scores, spans=spans, notes=notes)
