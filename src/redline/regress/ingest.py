"""Abuse reports in, a regression suite out: validate, redact, cluster, make cases."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redline.core import ConfigError, Message, content_hash, file_sha256
from redline.regress.near_duplicates import DedupSettings, cluster_texts, normalise
from redline.regress.policies import PolicyBook
from redline.regress.report_redaction import ReportRedactor
from redline.regress.reports import AbuseReport, ReportBatch, ReportLimits, read_reports
from redline.regress.suite_file import (
    SCORER_FOR,
    RegressionCase,
    RegressionSuite,
    SuiteSource,
    load_regression_suite,
    merge_suites,
)
from redline.scoring import SCORERS

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_REPORTED_RESPONSE_CHARS = 2000
_REDACT_BATCH = 4096


@dataclass(slots=True)
class IngestResult:
    """The suite built from a report file, and what happened on the way."""

    suite: RegressionSuite
    batch: ReportBatch
    clusters: int
    new_cases: int
    redactions: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)


def dedup_text(messages: Sequence[Message]) -> str:
    """The text reports are compared on: what the users wrote."""
    return "\n".join(m.content for m in messages if m.role == "user")


def _redact(reports: list[AbuseReport], redactor: ReportRedactor) -> list[AbuseReport]:
    texts: list[str] = []
    for report in reports:
        texts.extend(m.content for m in report.messages)
        texts.append(report.response or "")
    redacted: list[str] = []
    for start in range(0, len(texts), _REDACT_BATCH):
        redacted.extend(redactor.redact_texts(texts[start : start + _REDACT_BATCH]))
    out = []
    cursor = 0
    for report in reports:
        count = len(report.messages)
        messages = [
            m.model_copy(update={"content": t})
            for m, t in zip(report.messages, redacted[cursor : cursor + count], strict=True)
        ]
        response = redacted[cursor + count] if report.response is not None else None
        cursor += count + 1
        out.append(report.model_copy(update={"messages": messages, "response": response}))
    return out


def case_id(policy: str, messages: Sequence[Message]) -> str:
    """A stable id: the policy and the normalised user text of the cluster's first report."""
    return "rc-" + content_hash(
        {"policy": policy, "text": normalise(dedup_text(messages))}, length=10
    )


def _replay_messages(messages: list[Message]) -> list[Message]:
    last_user = max(i for i, m in enumerate(messages) if m.role == "user")
    return messages[: last_user + 1]


def build_case(
    reports: list[AbuseReport], policies: PolicyBook, *, refusal_scorer: str = "refusal"
) -> RegressionCase:
    """The regression case for one cluster of reports that cite the same policy.

    Refuse and safe-complete cases are judged by ``refusal_scorer``; no-leakage
    cases by the ``leakage`` scorer.
    """
    first = min(reports, key=lambda r: (r.timestamp, r.id))
    rule = policies.rule(first.policy)
    severity = max((r.severity for r in reports), key=SEVERITY_RANK.__getitem__)
    response = first.response
    if response is not None and len(response) > _REPORTED_RESPONSE_CHARS:
        response = response[:_REPORTED_RESPONSE_CHARS] + " [...]"
    return RegressionCase(
        id=case_id(rule.name, first.messages),
        policy=rule.name,
        category=rule.category,
        expected=rule.expected,
        scorer=refusal_scorer if SCORER_FOR[rule.expected] == "refusal" else "leakage",
        severity=severity,
        messages=_replay_messages(first.messages),
        tags=[f"policy:{rule.name}", f"severity:{severity}", "source:abuse-report"],
        source_reports=sorted(r.id for r in reports),
        cluster_size=len(reports),
        reported_response=response,
        notes=first.notes,
    )


def ingest_reports(
    path: Path,
    *,
    field_map: dict[str, str] | None = None,
    policies: PolicyBook | None = None,
    limits: ReportLimits | None = None,
    encoding: str = "auto",
    dedup: DedupSettings | None = None,
    name: str | None = None,
    previous: Path | None = None,
    redactor: ReportRedactor | None = None,
    refusal_scorer: str = "refusal",
) -> IngestResult:
    """Read ``path``, redact PII and secrets, cluster near-duplicates, build one case per
    cluster and policy. With ``previous`` (an existing suite file), its cases are kept
    as reviewed and only new ones are added."""
    if refusal_scorer not in SCORERS:
        raise ConfigError(f"--refusal-scorer: {SCORERS.unknown_message(refusal_scorer)}")
    policies = policies or PolicyBook.default()
    dedup = dedup or DedupSettings()
    redactor = redactor or ReportRedactor()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    batch = read_reports(
        path, field_map=field_map, policies=policies, limits=limits, encoding=encoding
    )
    t1 = time.perf_counter()
    reports = _redact(batch.reports, redactor)
    t2 = time.perf_counter()
    labels = cluster_texts([dedup_text(r.messages) for r in reports], dedup)
    t3 = time.perf_counter()
    groups: dict[tuple[int, str], list[AbuseReport]] = defaultdict(list)
    for label, report in zip(labels.tolist(), reports, strict=True):
        groups[(label, report.policy)].append(report)
    cases = [
        build_case(members, policies, refusal_scorer=refusal_scorer) for members in groups.values()
    ]
    cases.sort(key=lambda c: (-SEVERITY_RANK[c.severity], -c.cluster_size, c.id))
    timings.update(read=t1 - t0, redact=t2 - t1, dedup=t3 - t2, cases=time.perf_counter() - t3)
    fresh = RegressionSuite(
        name=name or path.stem,
        dedup=dedup.describe(),
        sources=[
            SuiteSource(
                file=path.name,
                sha256=file_sha256(path),
                records=batch.records,
                rejected=len(batch.problems),
                encoding=batch.encoding,
            )
        ],
        cases=cases,
    )
    suite = fresh
    new_cases = len(cases)
    if previous is not None and previous.exists():
        old = load_regression_suite(previous)
        known = {c.id for c in old.cases}
        new_cases = sum(1 for c in cases if c.id not in known)
        suite = merge_suites(old, fresh)
    return IngestResult(
        suite=suite,
        batch=batch,
        clusters=len(set(labels.tolist())),
        new_cases=new_cases,
        redactions=dict(Counter(redactor.counts)),
        timings_s=timings,
    )
