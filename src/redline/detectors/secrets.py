"""Credentials in text: private keys, cloud and VCS tokens, API keys, JWTs,
passwords in assignments and URLs, and long high-entropy strings.

Our own patterns plus Shannon entropy. detect-secrets was measured as the
alternative (docs/guard.md): it works offline but runs its plugins line by line
and costs far more per message than the 2 ms budget allows.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from redline.detectors.rule_prefilter import ALWAYS, BatchFacts, RuleNeeds, TextFacts
from redline.detectors.spans import Detection, Span, SpanSet

SECRET_CATEGORIES = (
    "private_key",
    "cloud_key",
    "vcs_token",
    "api_key",
    "jwt",
    "password",
    "connection_string",
    "high_entropy",
)


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s own character distribution."""
    if not text:
        return 0.0
    length = len(text)
    return -sum(n / length * math.log2(n / length) for n in Counter(text).values())


# (category, pattern, group holding the secret, minimum entropy of that group, score)
_RULES: list[tuple[str, re.Pattern[str], int, float, float]] = [
    (
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]{0,8192}?-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----)?"
        ),
        0,
        0.0,
        1.0,
    ),
    (
        "cloud_key",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),
        0,
        0.0,
        1.0,
    ),
    (
        "cloud_key",  # AWS secret access key, recognised by the name it is assigned to.
        re.compile(
            r"(?i)aws_?secret_?(?:access_?)?key\s*[:=]\s*['\"]?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        1,
        3.0,
        1.0,
    ),
    ("cloud_key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"), 0, 0.0, 1.0),
    ("vcs_token", re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{36,255}(?!\w)"), 0, 0.0, 1.0),
    ("vcs_token", re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{60,255}(?!\w)"), 0, 0.0, 1.0),
    ("vcs_token", re.compile(r"(?<!\w)glpat-[A-Za-z0-9_-]{20,64}(?![\w-])"), 0, 0.0, 1.0),
    ("api_key", re.compile(r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,255}(?![\w-])"), 0, 0.0, 1.0),
    (
        "api_key",
        re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,255}(?![\w-])"),
        0,
        3.0,
        1.0,
    ),
    ("api_key", re.compile(r"(?<!\w)(?:sk|rk)_live_[0-9A-Za-z]{24,99}(?!\w)"), 0, 0.0, 1.0),
    ("api_key", re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,72}(?![\w-])"), 0, 0.0, 1.0),
    ("api_key", re.compile(r"(?<![\w-])hf_[A-Za-z0-9]{30,64}(?![\w-])"), 0, 0.0, 1.0),
    (
        "api_key",
        re.compile(r"(?<![\w.])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])"),
        0,
        0.0,
        1.0,
    ),
    (
        "jwt",
        re.compile(
            r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,2048}(?![\w-])"
        ),
        0,
        0.0,
        0.9,
    ),
    (
        "connection_string",  # scheme://user:password@host
        re.compile(
            r"(?<![\w+.-])[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:([^\s@/]{3,128})@[\w.-]{1,253}"
        ),
        1,
        0.0,
        1.0,
    ),
    (
        "password",
        re.compile(
            r"(?i)(?<![\w-])(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token"
            r"|client[_-]?secret)['\"]?\s{0,4}[:=]\s{0,4}['\"]?([^\s'\",;]{8,256})"
        ),
        1,
        2.5,
        0.9,
    ),
    (
        "high_entropy",  # base64/base62-ish tokens
        re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{32,512}={0,2}(?![A-Za-z0-9+/_=-])"),
        0,
        4.5,
        0.6,
    ),
    ("high_entropy", re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40,128}(?![0-9a-fA-F])"), 0, 3.5, 0.5),
]

# What a match of each rule needs (rule_prefilter), by pattern; rules without an
# entry always run.
_NEEDS: dict[str, RuleNeeds] = {
    pattern.pattern: needs
    for (_, pattern, _, _, _), needs in zip(
        _RULES,
        (
            RuleNeeds(any_of=("-----BEGIN",)),
            RuleNeeds(any_of=("AKIA", "ASIA", "ABIA", "ACCA")),
            RuleNeeds(any_of_lower=("aws",)),
            RuleNeeds(any_of=("AIza",)),
            RuleNeeds(any_of=("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
            RuleNeeds(any_of=("github_pat_",)),
            RuleNeeds(any_of=("glpat-",)),
            RuleNeeds(any_of=("sk-ant-",)),
            RuleNeeds(any_of=("sk-",)),
            RuleNeeds(any_of=("_live_",)),
            RuleNeeds(any_of=("xox",)),
            RuleNeeds(any_of=("hf_",)),
            RuleNeeds(any_of=("SG.",)),
            RuleNeeds(any_of=("eyJ",)),
            RuleNeeds(any_of=("://",)),
            RuleNeeds(
                any_of=(":", "="),
                hint=re.compile(r"[:=]\s{0,4}['\"]?[^\s'\",;]{8}"),
                any_of_lower=(
                    "password",
                    "passwd",
                    "pwd",
                    "secret",
                    "api",
                    "access",
                    "auth",
                    "client",
                ),
            ),
            RuleNeeds(min_token=32),
            RuleNeeds(min_token=40),
        ),
        strict=True,
    )
}


class SecretsDetector:
    """Finds credentials; ``min_entropy`` overrides the generic high-entropy bar."""

    categories = SECRET_CATEGORIES

    def __init__(self, *, min_entropy: float | None = None) -> None:
        self._rules = [
            (
                cat,
                pat,
                grp,
                min_entropy if (min_entropy is not None and cat == "high_entropy") else ent,
                sc,
            )
            for cat, pat, grp, ent, sc in _RULES
        ]

    def screen_scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, each category's highest rule score over all matches that pass
        the entropy checks, for a whole batch in one pass per rule; never below what
        ``detect`` gives (it lets one span count for one category only)."""
        facts = BatchFacts(texts)
        out = [dict.fromkeys(self.categories, 0.0) for _ in texts]
        for category, pattern, group, min_entropy, score in self._rules:
            for index, match in facts.matches(pattern, _NEEDS.get(pattern.pattern, ALWAYS)):
                secret = match.group(group)
                if min_entropy and shannon_entropy(secret) < min_entropy:
                    continue
                if category == "high_entropy" and not _mixed(secret):
                    continue
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
        for category, pattern, group, min_entropy, score in self._rules:
            if not facts.allows(_NEEDS.get(pattern.pattern, ALWAYS)):
                continue
            for match in pattern.finditer(text):
                secret = match.group(group)
                if min_entropy and shannon_entropy(secret) < min_entropy:
                    continue
                if category == "high_entropy" and not _mixed(secret):
                    continue
                if taken.claim(Span(match.start(group), match.end(group), category, score)):
                    scores[category] = max(scores[category], score)
        return Detection(scores=scores, spans=taken.spans)


def _mixed(token: str) -> bool:
    # Random tokens mix digits with letters; long words, paths and ids rarely do.
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    return has_digit and has_alpha
