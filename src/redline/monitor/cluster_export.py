"""A cluster's records as abuse reports, ready for ``redline regress ingest``.

Each member becomes one report (the schema of :mod:`redline.regress.reports`): its
record key as ``id``, its time, prompt and response, the ``policy`` it violates and
a note naming the cluster. The policy is the one given, or else the hazard most of
the members were flagged for by the guard's harm classifier (``harm.s9`` -> ``s9``).
``regress ingest`` redacts and deduplicates them as it does any report file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from redline.core.errors import ConfigError
from redline.monitor.store import MonitorStore
from redline.regress.policies import PolicyBook

_HAZARD_PREFIX = "harm."


def cluster_policy(categories: dict[str, int], policies: PolicyBook) -> str | None:
    """The hazard policy most members were flagged for, if any."""
    hazards: Counter[str] = Counter()
    for category, count in categories.items():
        if category.startswith(_HAZARD_PREFIX):
            policy = policies.resolve(category.removeprefix(_HAZARD_PREFIX))
            if policy is not None:
                hazards[policy] += count
    return hazards.most_common(1)[0][0] if hazards else None


def cluster_reports(
    store: MonitorStore,
    cluster_id: int,
    *,
    policy: str | None = None,
    severity: str = "medium",
    policies: PolicyBook | None = None,
) -> list[dict[str, Any]]:
    """The abuse reports for cluster ``cluster_id`` (see the module docstring)."""
    policies = policies or PolicyBook.default()
    keys = store.cluster_keys(cluster_id)
    cluster = next(c for c in store.clusters() if c.id == cluster_id)
    if policy is not None:
        chosen = policies.resolve(policy)
        if chosen is None:
            raise ConfigError(f"--policy: {policies.unknown_message(policy)}")
    else:
        chosen = cluster_policy(cluster.categories, policies)
        if chosen is None:
            found = ", ".join(cluster.categories) or "none"
            raise ConfigError(
                f"cluster {cluster_id}: no hazard category to take the policy from (guard "
                f"categories: {found}); name one with --policy, e.g. --policy prompt-extraction"
            )
    terms = ", ".join(cluster.top_terms) or "no distinctive terms"
    reports = []
    for row in store.records_by_key(keys):
        report: dict[str, Any] = {
            "id": row["key"],
            "timestamp": row["ts"].isoformat() + "Z",
            "prompt": row["prompt"] or "(no prompt logged)",
            "policy": chosen,
            "severity": severity,
            "notes": f"monitor cluster {cluster_id} ({cluster.size} records: {terms})",
        }
        if row["response"]:
            report["response"] = row["response"]
        reports.append(report)
    return reports


def write_reports(reports: list[dict[str, Any]], path: Path) -> None:
    """Write reports as JSON Lines (the format ``regress ingest`` reads)."""
    with path.open("w", encoding="utf-8") as handle:
        for report in reports:
            handle.write(json.dumps(report, ensure_ascii=False) + "\n")
