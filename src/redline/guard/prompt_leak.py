"""System-prompt leakage in outputs: a canary string showing up, or long runs of
the system prompt's own words repeated back (over :mod:`redline.detectors`)."""

from __future__ import annotations

from redline.detectors.canary import canary_spans
from redline.detectors.prompt_leak import repeated_share
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side


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
        spans = canary_spans(text, self.canaries)
        scores = {"canary": 1.0 if spans else 0.0, "system_prompt": 0.0}
        system = context.system_prompt
        if system:
            share = repeated_share(text, system, ngram=self.ngram)
            scores["system_prompt"] = min(1.0, share / self.full_share)
        return ScanResult(scores=scores, spans=spans)


__all__ = ["PromptLeakScanner"]
