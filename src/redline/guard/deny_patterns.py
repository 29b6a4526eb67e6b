"""The policy's own deny patterns, run like any other scanner."""

from __future__ import annotations

from redline.guard.policy import PatternRule
from redline.guard.scanner import ScanContext, ScanResult, Side, Span, TextReading


class DenyPatternScanner:
    """Each deny rule is a category (its ``name``, or ``deny_<n>``) scoring 1 on a match."""

    name = "patterns"
    redactable = True
    # A user's pattern matches the text as written and its normalised form alike.
    text_view: TextReading = "both"

    def __init__(self, rules: list[PatternRule], *, side: Side) -> None:
        self.sides: frozenset[Side] = frozenset({side})
        self._rules = [
            (rule.name or f"deny_{index}", rule.compiled())
            for index, rule in enumerate(rules)
            if side in rule.sides
        ]
        self.categories = tuple(name for name, _ in self._rules)

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = dict.fromkeys(self.categories, 0.0)
        spans: list[Span] = []
        for name, pattern in self._rules:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    spans.append(Span(match.start(), match.end(), name))
                    scores[name] = 1.0
        return ScanResult(scores=scores, spans=spans)
