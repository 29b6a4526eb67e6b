"""Production monitoring: traffic logs scored by the guard, watched over time.

>>> from redline.monitor import MonitorStore, IngestSettings, RecordScorer, ingest_file
>>> with MonitorStore(Path("monitor.duckdb")) as store:                  # doctest: +SKIP
...     ingest_file(Path("logs.jsonl"), store, IngestSettings(scorer=RecordScorer(), embedder=None))

- :mod:`~redline.monitor.ingest`: JSONL chat records and OpenTelemetry GenAI spans into
  a DuckDB store, in batches, resumable and idempotent.
- :mod:`~redline.monitor.windows` and :mod:`~redline.monitor.alerts`: rates per window
  and YAML alert rules (thresholds; rises against a baseline with Fisher's exact test).
- :mod:`~redline.monitor.novelty` and :mod:`~redline.monitor.clusters`: kNN novelty,
  an MMD drift test and HDBSCAN clusters of novel records with their facets.
- :mod:`~redline.monitor.cluster_export`, :mod:`~redline.monitor.html_report`,
  :mod:`~redline.monitor.metrics`: abuse reports for ``regress ingest``, the HTML report,
  Prometheus metrics.
"""

from redline.monitor.alerts import (
    Alert,
    AlertRule,
    AlertRules,
    evaluate_rules,
    load_rules,
    post_alerts,
)
from redline.monitor.cluster_export import cluster_reports, write_reports
from redline.monitor.clusters import AnomalyReport, find_anomalies
from redline.monitor.embeddings import (
    EMBEDDERS,
    Embedder,
    MiniLMEmbedder,
    NgramEmbedder,
    StaticEmbedder,
    load_embedder,
)
from redline.monitor.html_report import render_report
from redline.monitor.ingest import IngestResult, IngestSettings, follow_file, ingest_file
from redline.monitor.log_records import FieldMap, LogRecord
from redline.monitor.metrics import MetricsServer, exposition
from redline.monitor.novelty import DriftResult, ForestNovelty, KnnNovelty, mmd_test
from redline.monitor.record_scoring import RecordScorer
from redline.monitor.store import MonitorStore
from redline.monitor.windows import WindowSummary, parse_duration, window_summaries

__all__ = [
    "EMBEDDERS",
    "Alert",
    "AlertRule",
    "AlertRules",
    "AnomalyReport",
    "DriftResult",
    "Embedder",
    "FieldMap",
    "ForestNovelty",
    "IngestResult",
    "IngestSettings",
    "KnnNovelty",
    "LogRecord",
    "MetricsServer",
    "MiniLMEmbedder",
    "MonitorStore",
    "NgramEmbedder",
    "RecordScorer",
    "StaticEmbedder",
    "WindowSummary",
    "cluster_reports",
    "evaluate_rules",
    "exposition",
    "find_anomalies",
    "follow_file",
    "ingest_file",
    "load_embedder",
    "load_rules",
    "mmd_test",
    "parse_duration",
    "post_alerts",
    "render_report",
    "window_summaries",
    "write_reports",
]
