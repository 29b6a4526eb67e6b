"""Jailbreak attempts: persona and role-play overrides, "no restrictions" framing,
dual-response formats. Phrase rules plus the trained ``jailbreak`` classifier."""

from __future__ import annotations

from collections.abc import Sequence

from redline.guard.classifier_scores import RulesAndModelScanner
from redline.guard.phrase_rules import PhraseRule, load_phrase_rules, match_rules
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side

# The rules live in guard/data/jailbreak_phrases.yaml.
JAILBREAK_RULES: tuple[PhraseRule, ...] = load_phrase_rules("jailbreak_phrases.yaml")


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
