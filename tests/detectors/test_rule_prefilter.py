"""Skipping regex rules by cheap checks never changes what the PII and secrets detectors find."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.detectors import pii, secrets
from redline.detectors.rule_prefilter import ALWAYS, RuleNeeds, TextFacts

SAMPLES = [
    "mail jane.doe+x@example.co.uk or call +44 20 7946 0958 / (415) 555-2671 / 020 7946 0958",
    "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789",
    "NINO AB 12 34 56 C, SIN 046 454 286, 221B Baker Street, SW1A 1AA, 192.168.10.1, fe80::1:2",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "AKIAIOSFODNN7EXAMPLE aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AIzaSyA1234567890abcdefghijklmnopqrstu ghp_" + "a1B2" * 9 + " glpat-abcdefghij0123456789",
    "sk-ant-" + "x9" * 15 + " sk-proj-" + "Ab3" * 10 + " sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "xoxb-1234567890-abcdefghij hf_" + "Q" * 34 + " SG." + "a" * 22 + "." + "b" * 43,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "postgres://admin:s3cr3tPassw0rd@db.internal:5432/app PASSWORD='Tr0ub4dor&3xyz'",
    "token " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "key=" + "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg0Mg==",
    "Paſſword: hunter2hunter2 and ٤١١١ ١١١١ ١١١١ ١١١١ (Arabic-Indic digits)",
    "An ordinary sentence with no personal data at all, and one number: 42.",
    # Rules with a hint (a core found in every match): non-ASCII digits, 1-octet gaps.
    "from ١٩٢.١٦٨.١٠.١ to 10 Downing Street, W1 2AB, fe80:0:0:0:1:2:3:4, 4111-1111-1111-1111",
]


def scan_all(detector, text):
    """The detector's result with every rule forced to run."""
    saved = dict(detector_needs(detector))
    detector_needs(detector).clear()
    try:
        return detector.detect(text)
    finally:
        detector_needs(detector).update(saved)


def detector_needs(detector):
    return pii._NEEDS if isinstance(detector, pii.PIIDetector) else secrets._NEEDS


@pytest.mark.parametrize("detector", [pii.PIIDetector(), secrets.SecretsDetector()])
@pytest.mark.parametrize("text", SAMPLES)
def test_prefilter_finds_the_same_as_running_every_rule(detector, text):
    fast = detector.detect(text)
    full = scan_all(detector, text)
    assert fast.scores == full.scores
    assert fast.spans == full.spans


def test_samples_do_hit_the_rules():
    # The comparison above means something only if the samples trigger the rules.
    found = set()
    for text in SAMPLES:
        for detector in (pii.PIIDetector(), secrets.SecretsDetector()):
            found |= {c for c, v in detector.detect(text).scores.items() if v > 0}
    assert {"email", "credit_card", "iban", "national_id", "phone", "address"} <= found
    assert {"ip_address", "private_key", "cloud_key", "vcs_token", "api_key", "jwt"} <= found
    assert {"connection_string", "password", "high_entropy"} <= found


ALPHABET = "0123456789 -.+@:/_=aAbBkKsSxXyYzZeEjJGgHhPpIiOoWwLl\n'\"ſ٤"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*SAMPLES, ""]), max_size=3), st.text(ALPHABET, max_size=120))
def test_prefilter_matches_full_scan_on_mixed_text(pieces, noise):
    rng = random.Random(len(noise))
    text = noise.join(p[: rng.randint(0, len(p))] for p in pieces) + noise
    for detector in (pii.PIIDetector(), secrets.SecretsDetector()):
        fast = detector.detect(text)
        full = scan_all(detector, text)
        assert (fast.scores, fast.spans) == (full.scores, full.spans)


def test_text_facts():
    facts = TextFacts("abc 123 longtoken_without_spaces")
    assert facts.digits() == 3 and facts.longest_token() == 24
    assert facts.allows(ALWAYS)
    assert not facts.allows(RuleNeeds(min_digits=4))
    assert not facts.allows(RuleNeeds(any_of=("@",)))
    assert facts.allows(RuleNeeds(any_of_lower=("ABC".lower(),)))
    assert not facts.allows(RuleNeeds(min_token=25))
    # Outside ASCII the digit and case checks give way: \d and (?i) reach further there.
    assert TextFacts("٤١١١ é").allows(RuleNeeds(min_digits=13, any_of_lower=("password",)))


def test_batch_facts_allow_exactly_what_text_facts_allow():
    from redline.detectors.rule_prefilter import BatchFacts

    texts = [*SAMPLES, "", "a\nb", "x" * 40, "٤١١١"]
    facts = BatchFacts(texts)
    for detector in (pii.PIIDetector(), secrets.SecretsDetector()):
        for needs in detector.rule_needs():
            expected = [TextFacts(text).allows(needs) for text in texts]
            assert facts.allows_any([needs]).tolist() == expected, needs


@pytest.mark.parametrize("detector", [pii.PIIDetector(), secrets.SecretsDetector()])
def test_batch_screen_scores_are_never_below_what_detect_finds(detector):
    texts = [*SAMPLES, "", "plain words only"]
    batch = detector.screen_scores(texts)
    for text, screened in zip(texts, batch, strict=True):
        found = detector.detect(text).scores
        assert all(screened[c] >= found[c] for c in found), (text, found, screened)
    assert any(any(row.values()) for row in batch)
    assert not any(batch[-1].values()) and not any(batch[-2].values())
