"""Redacting personal data and secrets out of reports with the guard's own scanners.

A regression suite is reviewed by people and committed to a repository, so
nothing a user typed about themselves, and no credential, may reach it. We run
the guard's ``pii`` and ``secrets`` scanners with every category set to
``redact``: the same detectors, spans and placeholders (``[EMAIL]``) as the
runtime guard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from redline.core import Message
from redline.guard import Guard, Policy, ScannerPolicy


def redaction_guard() -> Guard:
    """A guard that redacts every PII and secret category and does nothing else."""
    policy = Policy(
        scanners={
            "pii": ScannerPolicy(action="redact", threshold=0.5),
            "secrets": ScannerPolicy(action="redact", threshold=0.5),
        }
    )
    return Guard(policy)


class ReportRedactor:
    """Redacts message texts in batches and counts what it replaced, by category."""

    def __init__(self, guard: Guard | None = None) -> None:
        self.guard = guard or redaction_guard()
        self.counts: Counter[str] = Counter()

    def redact_texts(self, texts: Sequence[str]) -> list[str]:
        """Each text with its PII and secrets replaced by placeholders."""
        out = []
        for text, verdict in zip(texts, self.guard.check_batch(list(texts)), strict=True):
            if verdict.action == "redact" and verdict.redacted_text is not None:
                for finding in verdict.findings:
                    if finding.action == "redact":
                        self.counts[finding.category] += len(finding.spans) or 1
                out.append(verdict.redacted_text)
            else:
                out.append(text)
        return out

    def redact_messages(self, messages: Sequence[Message]) -> list[Message]:
        texts = self.redact_texts([m.content for m in messages])
        return [m.model_copy(update={"content": t}) for m, t in zip(messages, texts, strict=True)]
