"""Jailbreak attempts: persona and role-play overrides, "no restrictions" framing,
dual-response formats. Phrase rules plus the trained ``jailbreak`` classifier."""

# ruff: noqa: E501  (regular-expression tables read better one rule per line)

from __future__ import annotations

from collections.abc import Sequence

from redline.guard.classifier_scores import RulesAndModelScanner
from redline.guard.phrase_rules import PhraseRule, match_rules, rule
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side

JAILBREAK_RULES: tuple[PhraseRule, ...] = (
    rule(
        "DAN persona",
        # The persona names only in capitals: "Dan," is a person (a table of
        # footballers tripped this), "DAN:" is the persona.
        r"\bdo anything now\b|(?-i:\bDAN\b)(?:\s+mode|\s*:|,)|(?-i:\bSTAN\b|\bDUDE\b)",
        0.7,
        triggers=("do anything now", "dan", "stan", "dude"),
        hint=r"do anything now|dan(?:\s+mode|\s*:|,)|stan\b|dude\b",
    ),
    rule("developer mode", r"\bdeveloper mode\b", 0.6, triggers=("developer mode",)),
    rule(
        "not bound by rules",
        r"\b(?:no longer|not|never) (?:be )?(?:bound|restricted|limited) by\b|\bfreed? from (?:all|any|the|your) (?:typical |usual )?(?:restrictions|rules|guidelines|limitations|confines)",
        0.7,
        triggers=("bound", "restricted", "limited", "free"),
    ),
    rule(
        "without restrictions",
        r"\bwithout (?:any )?(?:restrictions|filters?|filtering|censorship|limitations|moral|ethical|ethics|guidelines)\b",
        0.5,
        triggers=("without",),
        hint=r"without (?:any )?(?:restrictions|filters?|filtering|censorship|limitations|moral|ethical|ethics|guidelines)",
    ),
    rule(
        "unfiltered persona",
        r"\b(?:unfiltered|uncensored|amoral|unrestricted|unethical|unhinged)\s+(?:ai|assistant|model|mode|chatbot|version|persona|character|responses?)\b",
        0.6,
        triggers=("unfiltered", "uncensored", "amoral", "unrestricted", "unethical", "unhinged"),
    ),
    rule("jailbreak word", r"\bjail-?br(?:eak|oken)\b", 0.5, triggers=("jailbr", "jail-br")),
    rule(
        "stay in character",
        r"\b(?:stay|remain|keep) in character\b|\bbreak(?:ing)? character\b",
        0.4,
        triggers=("character",),
        hint=r"in character|break character|breaking character",
    ),
    rule(
        "pretend no rules",
        r"\b(?:pretend|imagine|act as if|roleplay|role-play|act as)\b[^.\n]{0,60}\b(?:no|without|free of|any) (?:restrictions|rules|filters|ethics|morals|guidelines|limits)\b",
        0.6,
        triggers=("pretend", "imagine", "act as", "roleplay", "role-play"),
        hint=r"no (?:restrictions|rules|filters|ethics|morals|guidelines|limits)|without (?:restrictions|rules|filters|ethics|morals|guidelines|limits)|free of (?:restrictions|rules|filters|ethics|morals|guidelines|limits)|any (?:restrictions|rules|filters|ethics|morals|guidelines|limits)",
    ),
    rule(
        "evil mode",
        r"\b(?:opposite|evil|dark|chaos|god|sudo|admin) mode\b",
        0.5,
        triggers=(" mode",),
        hint=r"opposite mode|evil mode|dark mode|chaos mode|god mode|sudo mode|admin mode",
    ),
    rule(
        "never refuse",
        r"\bnever (?:refuse|decline|say no|reject)\b|\b(?:must|will|should) (?:always )?(?:answer|respond to|comply with) (?:every|any|all)\b|\bcan(?:not|'t) (?:refuse|decline)\b",
        0.5,
        triggers=(
            "never",
            "refuse",
            "decline",
            "answer every",
            "answer any",
            "answer all",
            "respond to",
            "comply with",
        ),
    ),
    rule(
        "dual response",
        r"\b(?:respond|answer|reply) (?:in|with) two (?:ways|responses)\b|\[🔓|🔓|\(🔒",
        0.5,
        triggers=("two ways", "two responses", "\U0001f513", "\U0001f512"),
    ),
    rule(
        "policy bypass",
        r"\b(?:ignore|bypass|disregard|violate|override)\b[^.\n]{0,40}\b(?:content|usage|openai|anthropic|safety|ethical) (?:polic(?:y|ies)|guidelines|filters?)\b",
        0.6,
        triggers=("polic", "guideline", "filter"),
    ),
    rule(
        "machiavellian", r"(?-i:\bAIM\b)|\bmachiavellian\b", 0.4, triggers=("aim", "machiavellian")
    ),
    rule(
        "hypothetical framing",
        r"\bhypothetical(?:ly)?\b[^.\n]{0,60}\b(?:no|without) (?:consequences|restrictions|rules)\b",
        0.3,
        triggers=("hypothetical",),
    ),
    rule(
        "token game",
        r"\b(?:tokens?|points?) (?:will be )?(?:deducted|lost|taken)\b|\byou (?:will )?(?:die|cease to exist)\b",
        0.4,
        triggers=("token", "point", "die", "cease to exist"),
        hint=r"tokens? (?:will be )?(?:deducted|lost|taken)|points? (?:will be )?(?:deducted|lost|taken)|you (?:will )?(?:die|cease to exist)",
    ),
)


@SCANNERS.register("jailbreak")
class JailbreakScanner(RulesAndModelScanner):
    """``jailbreak``: the larger of the phrase-rule score and the classifier's.

    ``model``: ``auto`` uses the classifier when it is installed, ``required``
    fails without it, ``off`` runs the phrase rules alone.
    """

    name = "jailbreak"
    classifier_name = "jailbreak"
    sides: frozenset[Side] = frozenset({"input"})
    categories = ("jailbreak",)
    redactable = False

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        model_rows = self._model.score_many(texts) if self._model else [None] * len(texts)
        results = []
        for text, row in zip(texts, model_rows, strict=True):
            hits = match_rules(JAILBREAK_RULES, text, category="jailbreak")
            score = hits.score
            notes = []
            if hits.rules:
                notes.append("rules: " + ", ".join(hits.rules))
            if row is not None:
                score = max(score, row["jailbreak"])
                notes.append(f"model: {row['jailbreak']:.2f}")
            results.append(
                ScanResult(
                    scores={"jailbreak": score},
                    spans=hits.spans,
                    notes={"jailbreak": "; ".join(notes)} if notes else {},
                )
            )
        return results
