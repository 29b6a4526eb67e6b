"""Data exfiltration through rendered markdown and HTML: an image or link whose
URL carries data to a third party (the classic indirect-injection payoff)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side, Span

EXFILTRATION_CATEGORIES = ("markdown_image", "html_image", "link")

_MD_IMAGE = re.compile(
    r"!\[[^\]\n]{0,1000}\]\(\s{0,8}<?(https?://[^\s)>]{1,4096})>?(?:\s{1,8}\"[^\"\n]{0,200}\")?\s{0,8}\)?"
)
_MD_IMAGE_REF = re.compile(
    r"^\s{0,3}\[[^\]\n]{1,200}\]:\s{0,8}<?(https?://\S{1,4096})", re.MULTILINE
)
_HTML_IMAGE = re.compile(r"<img\b[^>]{0,2000}?\bsrc\s*=\s*['\"]?(https?://[^\s'\">]{1,4096})", re.I)
_MD_LINK = re.compile(
    r"(?<!!)\[[^\]\n]{0,1000}\]\(\s{0,8}<?(https?://[^\s)>]{1,4096})>?(?:\s{1,8}\"[^\"\n]{0,200}\")?\s{0,8}\)?"
)


def url_payload_score(url: str) -> float:
    """How much data a URL seems to carry: long or encoded query values and path parts."""
    parts = urlsplit(url)
    values = [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    values += [seg for seg in parts.path.split("/") if seg]
    longest = max((len(v) for v in values), default=0)
    if longest >= 40 or re.search(r"%[0-9A-Fa-f]{2}.*%[0-9A-Fa-f]{2}", parts.query):
        return 1.0
    if parts.query:
        return 0.7
    return 0.3


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

    def _allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        scores = dict.fromkeys(self.categories, 0.0)
        spans: list[Span] = []
        if "http" not in text:
            return ScanResult(scores=scores)
        checks = (
            ("markdown_image", _MD_IMAGE, 1.0),
            ("markdown_image", _MD_IMAGE_REF, 0.9),
            ("html_image", _HTML_IMAGE, 1.0),
            ("link", _MD_LINK, 0.6),
        )
        for category, pattern, weight in checks:
            for match in pattern.finditer(text):
                url = match.group(1)
                if self._allowed(url):
                    continue
                score = weight * url_payload_score(url)
                spans.append(Span(match.start(), match.end(), category, score))
                scores[category] = max(scores[category], score)
        spans.sort(key=lambda s: s.start)
        return ScanResult(scores=scores, spans=spans)
