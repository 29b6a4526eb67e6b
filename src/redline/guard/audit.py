"""The service's audit log: one JSON line per request, with personal data and
credentials replaced before anything is written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from redline.core import utc_now
from redline.guard.normalisation import clean_text, one_line_json
from redline.guard.pii import PIIScanner
from redline.guard.redaction import apply_redactions
from redline.guard.scanner import ScanContext
from redline.guard.secret_leaks import SecretsScanner

_CONTEXT = ScanContext(side="input")


class AuditLog:
    """Appends redacted records to ``path``; texts longer than ``max_chars`` are cut."""

    def __init__(self, path: str | Path, *, max_chars: int = 4000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_chars = max_chars
        self._pii = PIIScanner()
        self._secrets = SecretsScanner()
        self._lock = threading.Lock()

    def redact(self, text: str) -> str:
        """``text`` (cut to ``max_chars``) with every PII and secret span replaced,
        whatever the policy says: the log must never hold them."""
        text = clean_text(text[: self.max_chars])
        spans = self._pii.scan(text, _CONTEXT).spans + self._secrets.scan(text, _CONTEXT).spans
        return apply_redactions(text, spans) if spans else text

    def write(self, *, route: str, text: str, verdict: Any, status: int, **extra: Any) -> None:
        record = {
            "time": utc_now(),
            "route": route,
            "status": status,
            "action": verdict.action if verdict is not None else None,
            "reasons": verdict.reasons if verdict is not None else [],
            "latency_ms": verdict.latency_ms if verdict is not None else None,
            # Scanners that failed on this text: each one is a check that did not happen.
            "errors": verdict.errors if verdict is not None else {},
            "chars": len(text),
            "text": self.redact(text),
            **extra,
        }
        # Whatever a field holds, the line must encode as UTF-8 (one bad character must
        # not turn a request into a 500) and stay one line for every JSONL reader.
        line = one_line_json(record)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
