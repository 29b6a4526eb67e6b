"""Prompt injection, direct (in what the user typed) and indirect (in documents,
web pages and tool results the model reads). Phrase rules plus the trained
``injection`` classifier, scored per message so the role tells which kind."""

from __future__ import annotations

from collections.abc import Sequence

from redline.guard.classifier_scores import RulesAndModelScanner
from redline.guard.phrase_rules import PhraseRule, load_phrase_rules, match_rules
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Segment, Side

# The rules live in guard/data/injection_phrases.yaml.
INJECTION_RULES: tuple[PhraseRule, ...] = load_phrase_rules("injection_phrases.yaml")

# Roles whose text comes from somewhere other than the person typing.
INDIRECT_ROLES = frozenset({"tool", "document", "function"})
# A rule marked indirect_only (the data file says why) counts only in those.
RULES_BY_CATEGORY = {
    "indirect": INJECTION_RULES,
    "direct": tuple(r for r in INJECTION_RULES if not r.indirect_only),
}


@SCANNERS.register("injection")
class InjectionScanner(RulesAndModelScanner):
    """``direct`` and ``indirect``: per message, the larger of the phrase-rule score
    and the classifier's; user text counts as direct, tool results as indirect."""

    name = "injection"
    classifier_name = "injection"
    sides: frozenset[Side] = frozenset({"input"})
    categories = ("direct", "indirect")
    redactable = False

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        pieces: list[tuple[int, Segment, str]] = []
        for index, (text, context) in enumerate(zip(texts, contexts, strict=True)):
            segments = context.segments or (Segment(0, len(text), "user"),)
            pieces.extend((index, seg, text[seg.start : seg.end]) for seg in segments)
        model_rows = (
            self._model.score_many([p[2] for p in pieces]) if self._model and pieces else None
        )
        results = [ScanResult(scores={"direct": 0.0, "indirect": 0.0}) for _ in texts]
        reasons: list[dict[str, list[str]]] = [{} for _ in texts]
        for position, (index, segment, piece) in enumerate(pieces):
            category = "indirect" if segment.role in INDIRECT_ROLES else "direct"
            hits = match_rules(
                RULES_BY_CATEGORY[category], piece, category=category, offset=segment.start
            )
            score = hits.score
            found = list(hits.rules)
            if model_rows is not None:
                model_score = model_rows[position]["injection"]
                score = max(score, model_score)
                found.append(f"model {model_score:.2f}")
            result = results[index]
            if score > result.scores[category]:
                result.scores[category] = score
                reasons[index][category] = found
            result.spans.extend(hits.spans)
        for result, by_category in zip(results, reasons, strict=True):
            result.notes = {cat: ", ".join(names) for cat, names in by_category.items() if names}
            result.spans.sort(key=lambda s: s.start)
        return results
