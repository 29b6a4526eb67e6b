"""New clusters: groups of novel records in a window, with what a reviewer needs to see.

The records of the window that are novel against the reference window
(:mod:`redline.monitor.novelty`) are clustered with HDBSCAN (no number of clusters
to guess; what fits no group is left as noise). Each cluster gets its facets: size,
top terms (words much more common in the cluster than in the reference), a few
example prompts with PII and secrets redacted, the guard categories of its members,
and when it was first and last seen. This is the "what new abuse pattern appeared
this week" view; ``redline monitor export-cluster`` hands one to ``regress ingest``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from sklearn.cluster import HDBSCAN

from redline.monitor.novelty import DriftResult, KnnNovelty, mmd_test
from redline.monitor.store import ClusterRow, MonitorStore
from redline.regress.report_redaction import ReportRedactor

_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_EXAMPLE_CHARS = 300
EXAMPLES_PER_CLUSTER = 3
TOP_TERMS = 8
# HDBSCAN is quadratic in memory; past this many novel records a window is sampled.
MAX_CLUSTERED = 5000


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    text = resources.files("redline.monitor").joinpath("data/stopwords.txt").read_text("utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(word for line in lines for word in line.split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in stopwords()}


def top_terms(
    members: Sequence[str], reference: Sequence[str], *, limit: int = TOP_TERMS
) -> list[str]:
    """Words in many members and few reference texts (share in cluster / share in reference)."""
    inside = Counter(w for text in members for w in _words(text))
    outside = Counter(w for text in reference for w in _words(text))
    size, base = max(len(members), 1), max(len(reference), 1)
    scored = {
        word: (count / size) / ((outside[word] + 1) / base)
        for word, count in inside.items()
        if count >= max(2, size // 10)
    }
    return [w for w, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


@dataclass(frozen=True)
class FoundCluster:
    """A stored cluster and its member keys."""

    row: ClusterRow
    keys: list[str]

    def as_dict(self) -> dict[str, Any]:
        row = self.row
        return {
            "id": row.id,
            "size": row.size,
            "top_terms": row.top_terms,
            "examples": row.examples,
            "categories": row.categories,
            "first_seen": row.first_seen.isoformat(),
            "last_seen": row.last_seen.isoformat(),
        }


@dataclass(frozen=True)
class AnomalyReport:
    """What one window looked like against its reference window."""

    window: tuple[datetime, datetime]
    reference: tuple[datetime, datetime]
    records: int
    reference_records: int
    novel: int
    threshold: float
    drift: DriftResult | None
    clusters: list[FoundCluster]

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": [t.isoformat() for t in self.window],
            "reference": [t.isoformat() for t in self.reference],
            "records": self.records,
            "reference_records": self.reference_records,
            "novel": self.novel,
            "novel_share": self.novel / self.records if self.records else 0.0,
            "threshold": self.threshold,
            "drift": self.drift.as_dict() if self.drift else None,
            "clusters": [c.as_dict() for c in self.clusters],
        }


def _cluster_row(
    members: list[dict[str, Any]],
    reference_texts: Sequence[str],
    window: tuple[datetime, datetime],
    redactor: ReportRedactor,
) -> ClusterRow:
    prompts = [m["prompt"] or m["response"] or "" for m in members]
    categories: Counter[str] = Counter()
    for member in members:
        categories.update(set(member["input_categories"]) | set(member["output_categories"]))
    examples = redactor.redact_texts([p[:_EXAMPLE_CHARS] for p in prompts[:EXAMPLES_PER_CLUSTER]])
    times = [m["ts"] for m in members]
    return ClusterRow(
        id=0,
        found_at=datetime.now(UTC),
        window_start=window[0],
        window_end=window[1],
        size=len(members),
        top_terms=top_terms(prompts, reference_texts),
        examples=examples,
        categories=dict(categories.most_common()),
        first_seen=min(times),
        last_seen=max(times),
    )


def _texts(store: MonitorStore, keys: Sequence[str]) -> list[str]:
    return [r["prompt"] or r["response"] or "" for r in store.records_by_key(keys)]


def find_anomalies(
    store: MonitorStore,
    *,
    window: tuple[datetime, datetime],
    reference: tuple[datetime, datetime],
    min_cluster_size: int = 10,
    drift: bool = True,
    seed: int = 0,
) -> AnomalyReport:
    """Novelty, drift and new clusters of ``window`` against ``reference``; the clusters
    are stored (``redline monitor clusters`` lists them)."""
    ref_keys, ref_vectors = store.embeddings_between(*reference)
    keys, vectors = store.embeddings_between(*window)
    if len(ref_keys) <= 5 or not keys:
        raise ValueError(
            f"not enough embedded records: {len(ref_keys)} in the reference window, "
            f"{len(keys)} in the window (ingest with an embedder, and check the times)"
        )
    # Centring helps every n-gram embedder and hurts MiniLM (monitor/novelty.py).
    novelty = KnnNovelty(ref_vectors, seed=seed, centre=store.embedder() != "minilm")
    novel = np.flatnonzero(novelty.score(vectors) > novelty.threshold)
    novel_count = len(novel)
    drift_result = mmd_test(ref_vectors, vectors, seed=seed) if drift and len(keys) >= 2 else None
    rng = np.random.default_rng(seed)
    if len(novel) > MAX_CLUSTERED:
        novel = np.sort(rng.choice(novel, MAX_CLUSTERED, replace=False))
    found: list[FoundCluster] = []
    if len(novel) >= min_cluster_size:
        # Novel records often are one new pattern: a single cluster must be allowed, and a
        # small min_samples keeps a tight group of near-copies from being called noise.
        labels = HDBSCAN(
            min_cluster_size=min_cluster_size,
            min_samples=2,
            allow_single_cluster=True,
            copy=True,
        ).fit_predict(vectors[novel])
        sample = (
            ref_keys if len(ref_keys) <= 2000 else list(rng.choice(ref_keys, 2000, replace=False))
        )
        reference_texts = _texts(store, sample)
        redactor = ReportRedactor()
        for label in sorted(set(labels.tolist()) - {-1}):
            member_keys = [keys[i] for i in novel[labels == label]]
            row = _cluster_row(store.records_by_key(member_keys), reference_texts, window, redactor)
            cluster_id = store.add_cluster(row, member_keys)
            found.append(FoundCluster(row=replace(row, id=cluster_id), keys=member_keys))
    found.sort(key=lambda c: -c.row.size)
    return AnomalyReport(
        window=window,
        reference=reference,
        records=len(keys),
        reference_records=len(ref_keys),
        novel=novel_count,
        threshold=novelty.threshold,
        drift=drift_result,
        clusters=found,
    )
