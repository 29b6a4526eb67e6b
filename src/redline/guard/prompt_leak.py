"""System-prompt leakage in outputs: a canary string showing up, or long runs of
the system prompt's own words repeated back."""

from __future__ import annotations

import re

from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side, Span

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int) -> set[tuple[str, ...]]:
    """The set of ``size``-word sequences in ``text`` (lower-cased)."""
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


@SCANNERS.register("prompt_leak")
class PromptLeakScanner:
    """``canary``: any of ``canaries`` appears in the output. ``system_prompt``: the
    share of the system prompt's ``ngram``-word sequences the output repeats
    (scaled so that repeating ``full_share`` of them scores 1)."""

    name = "prompt_leak"
    sides: frozenset[Side] = frozenset({"output"})
    categories = ("canary", "system_prompt")
    redactable = True
    # A canary is matched as written and as normalised (a fullwidth copy still leaks it).
    text_view = "both"

    def __init__(
        self, *, canaries: list[str] | None = None, ngram: int = 6, full_share: float = 0.5
    ) -> None:
        self.canaries = [c for c in canaries or () if c]
        self.ngram = ngram
        self.full_share = full_share

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = {"canary": 0.0, "system_prompt": 0.0}
        spans: list[Span] = []
        for canary in self.canaries:
            start = text.find(canary)
            if start >= 0:
                scores["canary"] = 1.0
                spans.append(Span(start, start + len(canary), "canary"))
        system = context.system_prompt
        if system:
            reference = shingles(system, self.ngram)
            if reference:
                repeated = len(reference & shingles(text, self.ngram)) / len(reference)
                scores["system_prompt"] = min(1.0, repeated / self.full_share)
        return ScanResult(scores=scores, spans=spans)
