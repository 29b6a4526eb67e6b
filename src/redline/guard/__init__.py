"""The runtime guard: scanners, policy and the Guard that applies them.

>>> from redline.guard import Guard
>>> guard = Guard.default()
>>> guard.check_input("my card is 4111 1111 1111 1111").action
'redact'

Scanners are plugins registered in :data:`SCANNERS` (entry-point group
``redline.scanners``); importing this package registers the built-ins.
"""

from redline.guard import (  # noqa: F401  (imported to register the built-in scanners)
    code_payloads,
    exfiltration,
    harm,
    injection,
    invisible_text,
    jailbreak,
    model_backed,
    pii,
    prompt_leak,
    refusal,
    secret_leaks,
)
from redline.guard.cascade import CascadeOutcome, CascadePolicy
from redline.guard.images import (
    ImageCheck,
    ImageRejected,
    ImageScanner,
    ImageText,
    check_images,
    decode_image,
)
from redline.guard.pipeline import Guard, redaction_spans
from redline.guard.policy import (
    Action,
    Policy,
    ScannerPolicy,
    default_policy,
    default_policy_text,
    load_policy,
    parse_policy,
)
from redline.guard.scanner import (
    SCANNERS,
    ScanContext,
    Scanner,
    ScanResult,
    Segment,
    Side,
    Span,
)
from redline.guard.verdict import Finding, Verdict

__all__ = [
    "SCANNERS",
    "Action",
    "CascadeOutcome",
    "CascadePolicy",
    "Finding",
    "Guard",
    "ImageCheck",
    "ImageRejected",
    "ImageScanner",
    "ImageText",
    "Policy",
    "ScanContext",
    "ScanResult",
    "Scanner",
    "ScannerPolicy",
    "Segment",
    "Side",
    "Span",
    "Verdict",
    "check_images",
    "decode_image",
    "default_policy",
    "default_policy_text",
    "load_policy",
    "parse_policy",
    "redaction_spans",
]
