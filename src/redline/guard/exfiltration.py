"""Data exfiltration through rendered markdown and HTML: an image or link whose
URL carries data to a third party (the classic indirect-injection payoff).

The URL finding is :mod:`redline.detectors.exfiltration`'s, shared with the
``canary`` scorer.
"""

from __future__ import annotations

from redline.detectors.exfiltration import find_urls, host_matches, url_payload_score
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side, Span

EXFILTRATION_CATEGORIES = ("markdown_image", "html_image", "link")


@SCANNERS.register("exfiltration")
class ExfiltrationScanner:
    """Scores images (rendered without a click) higher than links. URLs on
    ``allowed_domains`` (and their subdomains) are ignored."""

    name = "exfiltration"
    sides: frozenset[Side] = frozenset({"input", "output"})
    categories = EXFILTRATION_CATEGORIES
    redactable = True

    def __init__(self, *, allowed_domains: list[str] | None = None) -> None:
        self.allowed_domains = tuple(d.lower().lstrip(".") for d in allowed_domains or ())

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = dict.fromkeys(self.categories, 0.0)
        spans: list[Span] = []
        for found in find_urls(text):
            if host_matches(found.url, self.allowed_domains):
                continue
            score = found.weight * url_payload_score(found.url)
            spans.append(Span(found.start, found.end, found.form, score))
            scores[found.form] = max(scores[found.form], score)
        return ScanResult(scores=scores, spans=spans)


__all__ = ["EXFILTRATION_CATEGORIES", "ExfiltrationScanner", "url_payload_score"]
