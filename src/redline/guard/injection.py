"""Prompt injection, direct (in what the user typed) and indirect (in documents,
web pages and tool results the model reads). Phrase rules plus the trained
``injection`` classifier, scored per message so the role tells which kind."""

# ruff: noqa: E501  (regular-expression tables read better one rule per line)

from __future__ import annotations

from collections.abc import Sequence

from redline.guard.classifier_scores import RulesAndModelScanner
from redline.guard.phrase_rules import PhraseRule, match_rules, rule
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Segment, Side

INJECTION_RULES: tuple[PhraseRule, ...] = (
    rule(
        "ignore previous instructions",
        r"\b(?:ignore|disregard|forget|skip|override)\b[^.\n]{0,30}\b(?:previous|prior|above|earlier|preceding|original|initial|all|any|your|system)\b[^.\n]{0,20}\b(?:instructions?|prompts?|directions|rules|guidelines|context|messages?)\b",
        0.8,
        triggers=("ignore", "disregard", "forget", "skip", "override"),
    ),
    rule("forget everything", r"\bforget (?:everything|all)\b", 0.5, triggers=("forget",)),
    rule(
        "new instructions",
        r"\b(?:new|updated|real|actual|additional) (?:instructions?|task|rules|objective)\s*:",
        0.6,
        triggers=("instruction", "task", "rule", "objective"),
        hint=r"instructions?\s*:|task\s*:|rules\s*:|objective\s*:",
    ),
    rule(
        "chat template tokens",
        r"<\|im_start\|>|<\|im_end\|>|<\|system\|>|<\|eot_id\|>|<\|start_header_id\|>|\[/?INST\]|<</?SYS>>|^#{2,3} ?(?:system|instruction)s?\b",
        0.7,
        triggers=("<|", "inst]", "<<sys>>", "<</sys>>", "#"),
    ),
    rule(
        "reveal system prompt",
        r"\b(?:reveal|print|show|repeat|output|leak|display|tell me|what (?:is|are))\b[^.\n]{0,25}\b(?:your|the) (?:system prompt|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|(?:instructions|text) above|original instructions)\b",
        0.7,
        triggers=(
            "system prompt",
            "initial prompt",
            "initial instruction",
            "hidden prompt",
            "hidden instruction",
            "instructions above",
            "text above",
            "original instruction",
        ),
    ),
    rule(
        "fake authority",
        r"\b(?:system|admin|administrator|developer|root) (?:override|message|note|notice|command|instruction)s?\s*:",
        0.6,
        triggers=("system", "admin", "developer", "root"),
        hint=r"overrides?\s*:|messages?\s*:|notes?\s*:|notices?\s*:|commands?\s*:|instructions?\s*:",
    ),
    rule(
        "addresses the AI",
        r"\b(?:to|attention|note to|dear) (?:the )?(?:ai|assistant|language model|llm|chatbot|model)\b|\b(?:if|when) you are an? (?:ai|language model|llm|assistant)\b|\b(?:ai|assistant|llm|gpt)s? (?:reading|processing|summari[sz]ing) this\b",
        0.7,
        triggers=("ai", "assistant", "language model", "llm", "chatbot", "model", "gpt"),
        hint=r"to (?:the )?(?:ai|assistant|language model|llm|chatbot|model)|attention (?:the )?(?:ai|assistant|language model|llm|chatbot|model)|dear (?:the )?(?:ai|assistant|language model|llm|chatbot|model)|you are an? (?:ai|language model|llm|assistant)|ais? (?:reading|processing|summari[sz]ing) this|assistants? (?:reading|processing|summari[sz]ing) this|llms? (?:reading|processing|summari[sz]ing) this|gpts? (?:reading|processing|summari[sz]ing) this",
    ),
    rule(
        "hide from user",
        r"\bdo not (?:tell|inform|mention|reveal|show)\b[^.\n]{0,20}\b(?:the )?user\b|\bwithout (?:telling|informing) the user\b",
        0.7,
        triggers=("user",),
        hint=r"do not (?:tell|inform|mention|reveal|show)|without (?:telling|informing) the user",
    ),
    rule(
        "exfiltrate",
        r"\b(?:send|forward|email|post|upload|exfiltrate)\b[^.\n]{0,60}\b(?:to|at)\b\s*(?:https?://|[\w.+-]{1,64}@[\w-]{1,63}\.)",
        0.5,
        triggers=("send", "forward", "email", "post", "upload", "exfiltrate"),
        hint=r"@|https?://",
    ),
    rule(
        "respond instead",
        r"\binstead,? (?:just )?(?:say|respond|reply|output|write|print)\b",
        0.4,
        triggers=("instead",),
    ),
    rule(
        "you must now",
        r"\byou (?:must|will|shall|should) now\b|\bfrom now on,? you\b",
        0.35,
        triggers=(" now", "from now on"),
    ),
)

# Roles whose text comes from somewhere other than the person typing.
INDIRECT_ROLES = frozenset({"tool", "document", "function"})
# "Send ... to <address>" is an exfiltration attempt when a document or tool
# result asks it of the model; typed by the user it is their own errand ("Please
# send the invoice to bob.smith@acme.com").
INDIRECT_ONLY_RULES = frozenset({"exfiltrate"})
RULES_BY_CATEGORY = {
    "indirect": INJECTION_RULES,
    "direct": tuple(r for r in INJECTION_RULES if r.name not in INDIRECT_ONLY_RULES),
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
