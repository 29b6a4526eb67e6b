"""Detectors: pure text in, scores and spans out, shared by the guard and the scorers.

Nothing here sends a request, loads a model or knows about policies: the
guard's scanners (:mod:`redline.guard`) and the scorers (:mod:`redline.scoring`)
are thin adapters over these functions, so the guard and an evaluation never
disagree about what a refusal, a leaked canary or an exfiltration link is.

- :mod:`~redline.detectors.refusal`: refusal phrases (one list, ``data/refusal_phrases.yaml``);
- :mod:`~redline.detectors.canary`: a planted secret in any form;
- :mod:`~redline.detectors.exfiltration`: URLs that carry data (images, links, bare);
- :mod:`~redline.detectors.prompt_leak`: system-prompt word n-grams repeated back;
- :mod:`~redline.detectors.pii` and :mod:`~redline.detectors.secrets`: personal
  data and credentials, with checksums and entropy.

The trained classifiers are adapted in ``guard/classifier_scores.py`` and
``scoring/harm_classifier.py``: they need :mod:`redline.classifiers`, which sits
above this layer.
"""

from redline.detectors.canary import canary_spans, find_canary
from redline.detectors.exfiltration import (
    UrlFinding,
    carries_data,
    find_exfiltration,
    find_urls,
    host_matches,
    url_payload_score,
)
from redline.detectors.pii import PII_CATEGORIES, PIIDetector
from redline.detectors.prompt_leak import repeated_share, shingles
from redline.detectors.refusal import RefusalPhrase, find_refusal, refusal_strength
from redline.detectors.secrets import SECRET_CATEGORIES, SecretsDetector, shannon_entropy
from redline.detectors.spans import Detection, Span, SpanSet, combine_independent

__all__ = [
    "PII_CATEGORIES",
    "SECRET_CATEGORIES",
    "Detection",
    "PIIDetector",
    "RefusalPhrase",
    "SecretsDetector",
    "Span",
    "SpanSet",
    "UrlFinding",
    "canary_spans",
    "carries_data",
    "combine_independent",
    "find_canary",
    "find_exfiltration",
    "find_refusal",
    "find_urls",
    "host_matches",
    "refusal_strength",
    "repeated_share",
    "shannon_entropy",
    "shingles",
    "url_payload_score",
]
