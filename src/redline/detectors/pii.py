"""Personal data: emails, phone numbers, payment cards, IBANs, national ids,
street addresses and IP addresses.

Every pattern has bounded repetition so a 10 MB run of look-alike characters
scans in linear time. Numbers with a checksum (cards: Luhn; IBAN: mod 97;
Canadian SIN: Luhn) only count when the checksum holds.
"""

# ruff: noqa: E501  (regular-expression tables read better one rule per line)

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from redline.detectors.rule_prefilter import ALWAYS, BatchFacts, RuleNeeds, TextFacts
from redline.detectors.spans import Detection, Span, SpanSet

PII_CATEGORIES = ("email", "phone", "credit_card", "iban", "national_id", "address", "ip_address")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment cards and Canadian SINs."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Lengths from the SWIFT IBAN registry for the countries most often seen; others
# fall back to the mod-97 check alone.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """ISO 13616: known country length (where we have it) and mod-97 == 1."""
    iban = candidate.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def _card_valid(match: str) -> bool:
    digits = re.sub(r"[ -]", "", match)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    # Issuer prefixes: Visa 4, Mastercard 51-55/22-27, Amex 34/37, Discover/UnionPay 6,
    # Diners 30/36/38, JCB 35.
    if not re.match(r"4|5[1-5]|2[2-7]|3[0478]|35|6", digits):
        return False
    return luhn_valid(digits)


def _phone_valid(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    return 9 <= len(digits) <= 15 and len(set(digits)) > 2


def _sin_valid(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    return digits[0] not in "08" and luhn_valid(digits)


def _ip_valid(match: str) -> bool:
    try:
        address = ipaddress.ip_address(match)
    except ValueError:
        return False
    # 0.0.0.0 and the loopback address are configuration, not personal data.
    return not (address.is_unspecified or address.is_loopback)


Validator = Callable[[str], bool]

_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Parkway|Pkwy|Square|Sq|Highway|Hwy|Crescent|Close|Gardens|Row|Strasse|Straße"
)

# (category, compiled pattern, validator or None, score)
_RULES: list[tuple[str, re.Pattern[str], Validator | None, float]] = [
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])"
        ),
        None,
        1.0,
    ),
    (
        "credit_card",
        re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
        _card_valid,
        1.0,
    ),
    (
        "iban",
        re.compile(
            r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
        ),
        iban_valid,
        1.0,
    ),
    (
        "national_id",  # US SSN, with separators; the SSA never issues 000, 666 or 9xx.
        re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])"),
        None,
        1.0,
    ),
    (
        "national_id",  # UK National Insurance number.
        re.compile(
            r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
            r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
        ),
        None,
        1.0,
    ),
    (
        "national_id",  # Canadian SIN, formatted 3-3-3, Luhn-checked.
        re.compile(r"(?<![\d-])\d{3}([- ])\d{3}\1\d{3}(?![\d-])"),
        _sin_valid,
        0.9,
    ),
    (
        "phone",  # international: +CC then groups
        re.compile(
            r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,5}){1,4}(?!\w)"
        ),
        _phone_valid,
        0.8,
    ),
    (
        "phone",  # North American: (415) 555-2671, 415-555-2671, 415.555.2671
        re.compile(r"(?<![\w+-])(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w-])"),
        _phone_valid,
        0.8,
    ),
    (
        "phone",  # national with trunk 0: 020 7946 0958, 030-1234567
        re.compile(r"(?<![\w+-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w-])"),
        _phone_valid,
        0.7,
    ),
    (
        "address",  # "221B Baker Street", "1600 Pennsylvania Avenue NW"
        re.compile(
            r"(?<!\w)\d{1,5}[A-Za-z]?,? (?:[A-Z][a-zA-Z'-]{1,30} ){1,4}(?:"
            + _STREET_TYPES
            + r")\b\.?"
        ),
        None,
        0.8,
    ),
    (
        "address",  # UK postcode.
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}(?![A-Za-z0-9])"),
        None,
        0.7,
    ),
    (
        "ip_address",
        re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"),
        _ip_valid,
        0.9,
    ),
    (
        "ip_address",
        re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])"),
        _ip_valid,
        0.9,
    ),
]

# What a match of each rule needs (rule_prefilter), by pattern; rules without an
# entry always run.
_NEEDS: dict[str, RuleNeeds] = {
    pattern.pattern: needs
    for (_, pattern, _, _), needs in zip(
        _RULES,
        (
            RuleNeeds(any_of=("@",)),  # email
            RuleNeeds(min_digits=13, hint=re.compile(r"\d(?:[ -]?\d){12}")),  # credit card
            RuleNeeds(min_digits=2, hint=re.compile(r"[A-Z][A-Z]\d\d")),  # IBAN
            RuleNeeds(min_digits=9, hint=re.compile(r"\d\d\d[- ]\d\d[- ]\d\d\d\d")),  # US SSN
            RuleNeeds(
                min_digits=6, hint=re.compile(r"[A-Z][A-Z] ?\d\d ?\d\d ?\d\d ?[A-D]")
            ),  # NINO
            RuleNeeds(min_digits=9, hint=re.compile(r"\d\d\d[- ]\d\d\d[- ]\d\d\d")),  # SIN
            RuleNeeds(any_of=("+",), min_digits=4),  # international phone
            RuleNeeds(min_digits=10, hint=re.compile(r"\d\d\d[-.]\d\d\d\d")),  # N. American phone
            RuleNeeds(min_digits=9, hint=re.compile(r"0\d{2,4}[ -]\d\d\d")),  # trunk-0 phone
            RuleNeeds(min_digits=1, hint=re.compile(r"\d[A-Za-z]?,? [A-Z]")),  # street address
            RuleNeeds(min_digits=2, hint=re.compile(r"[A-Z]\d[A-Z\d]? \d[A-Z]{2}")),  # UK postcode
            RuleNeeds(any_of=(".",), min_digits=4, hint=re.compile(r"\d\.\d{1,3}\.\d")),  # IPv4
            RuleNeeds(any_of=(":",), hint=re.compile(r"[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:")),  # IPv6
        ),
        strict=True,
    )
}


class PIIDetector:
    """Finds personal data; each category scores the strongest match found.

    ``categories`` limits which kinds are looked for (default: all).
    """

    def __init__(self, *, categories: list[str] | None = None) -> None:
        wanted = set(categories or PII_CATEGORIES)
        unknown = wanted - set(PII_CATEGORIES)
        if unknown:
            raise ValueError(
                f"unknown pii categories {sorted(unknown)}; known: {', '.join(PII_CATEGORIES)}"
            )
        self.categories = tuple(c for c in PII_CATEGORIES if c in wanted)
        self._rules = [rule for rule in _RULES if rule[0] in wanted]

    def screen_scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, each category's highest rule score over all matches, for a whole
        batch in one pass per rule. ``detect`` lets one span count for one category
        only, so its scores are never higher than these: a text with no score here
        at a threshold has no finding there."""
        facts = BatchFacts(texts)
        out = [dict.fromkeys(self.categories, 0.0) for _ in texts]
        for category, pattern, validator, score in self._rules:
            for index, match in facts.matches(pattern, _NEEDS.get(pattern.pattern, ALWAYS)):
                if validator is None or validator(match.group(0)):
                    row = out[index]
                    row[category] = max(row[category], score)
        return out

    def rule_needs(self) -> list[RuleNeeds]:
        """What a match of each rule needs: a text none of them allows has no finding."""
        return [_NEEDS.get(rule[1].pattern, ALWAYS) for rule in self._rules]

    def detect(self, text: str) -> Detection:
        scores = dict.fromkeys(self.categories, 0.0)
        taken = SpanSet()
        facts = TextFacts(text)
        # Rules run strongest first; a later rule may not claim text an earlier one did
        # (a card number is not also a phone number).
        for category, pattern, validator, score in self._rules:
            if not facts.allows(_NEEDS.get(pattern.pattern, ALWAYS)):
                continue
            for match in pattern.finditer(text):
                if validator is not None and not validator(match.group(0)):
                    continue
                if taken.claim(Span(match.start(), match.end(), category, score)):
                    scores[category] = max(scores[category], score)
        return Detection(scores=scores, spans=taken.spans)
