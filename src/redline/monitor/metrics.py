"""Prometheus metrics from the store, in the text exposition format, over HTTP.

``GET /metrics`` answers with counters over all records (records, blocks by side,
refusals, over-refusals, guard categories, malformed lines, clusters) and gauges
for the latest window (its record count and each rate); with alert rules, one
``redline_monitor_alert_firing`` gauge per rule for that window. ``GET /healthz``
answers ``ok``. The server reads through its own DuckDB cursor, so an ingest
following a log in the same process can keep writing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb

from redline.monitor.alerts import AlertRules, rule_alerts
from redline.monitor.windows import METRICS, window_summaries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PREFIX = "redline_monitor_"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]
) -> list[str]:
    lines = [f"# HELP {_PREFIX}{name} {help_text}", f"# TYPE {_PREFIX}{name} {kind}"]
    lines += [f"{_PREFIX}{name}{labels} {value:g}" for labels, value in samples]
    return lines


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchall()
    return float(row[0][0] or 0) if row else 0.0


def exposition(
    con: duckdb.DuckDBPyConnection, *, width_s: int, rules: AlertRules | None = None
) -> str:
    """The metrics page for the store behind ``con``."""
    lines: list[str] = []
    lines += _family(
        "records_total",
        "counter",
        "Records ingested.",
        [("", _scalar(con, "SELECT count(*) FROM records"))],
    )
    lines += _family(
        "blocked_total",
        "counter",
        "Records the guard blocked, by side.",
        [
            (
                '{side="input"}',
                _scalar(con, f"SELECT count(*) FROM records WHERE {METRICS['input_block_rate']}"),
            ),
            (
                '{side="output"}',
                _scalar(con, f"SELECT count(*) FROM records WHERE {METRICS['output_block_rate']}"),
            ),
        ],
    )
    lines += _family(
        "refusals_total",
        "counter",
        "Responses the refusal scorer labelled full refusals.",
        [("", _scalar(con, f"SELECT count(*) FROM records WHERE {METRICS['refusal_rate']}"))],
    )
    lines += _family(
        "over_refusals_total",
        "counter",
        "Full refusals of prompts the input guard found nothing in.",
        [("", _scalar(con, "SELECT count(*) FROM records WHERE over_refusal"))],
    )
    categories = con.execute(
        "SELECT c, count(*) FROM (SELECT unnest(list_distinct(list_concat("
        "input_categories, output_categories))) AS c FROM records) GROUP BY c ORDER BY c"
    ).fetchall()
    lines += _family(
        "category_total",
        "counter",
        "Records with a guard finding, by category.",
        [(f'{{category="{_label(str(c))}"}}', float(n)) for c, n in categories],
    )
    lines += _family(
        "malformed_lines_total",
        "counter",
        "Log lines skipped as malformed.",
        [("", _scalar(con, "SELECT count(*) FROM problems"))],
    )
    lines += _family(
        "clusters_total",
        "counter",
        "New clusters found by anomaly detection.",
        [("", _scalar(con, "SELECT count(*) FROM clusters"))],
    )
    windows = window_summaries(con, width_s=width_s)
    if windows:
        latest = windows[-1]
        lines += _family(
            "window_records", "gauge", "Records in the latest window.", [("", float(latest.total))]
        )
        lines += _family(
            "window_rate",
            "gauge",
            "Rates in the latest window, by metric.",
            [(f'{{metric="{name}"}}', latest.rate(name)) for name in METRICS],
        )
    if rules is not None:
        firing = []
        for rule in rules.rules:
            fired = bool(rule_alerts(con, rule, width_s=rules.window_s, latest_only=True))
            firing.append((f'{{rule="{_label(rule.name)}"}}', 1.0 if fired else 0.0))
        lines += _family(
            "alert_firing", "gauge", "1 when the rule fires for the latest window.", firing
        )
    return "\n".join(lines) + "\n"


class MetricsServer:
    """An HTTP server for ``/metrics`` and ``/healthz`` over one store connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        host: str = "127.0.0.1",
        port: int = 9464,
        width_s: int = 3600,
        rules: AlertRules | None = None,
    ) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.width_s = width_s
        self.rules = rules
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/metrics":
                    body, status, kind = server.render().encode("utf-8"), 200, CONTENT_TYPE
                elif self.path == "/healthz":
                    body, status, kind = b"ok\n", 200, "text/plain"
                else:
                    body, status, kind = b"not found: try /metrics\n", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per scrape would drown the ingest's output

        self.httpd = ThreadingHTTPServer((host, port), Handler)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def render(self) -> str:
        # One cursor per render: DuckDB connections are not shared across threads.
        with self._lock:
            cursor = self._con.cursor()
        try:
            return exposition(cursor, width_s=self.width_s, rules=self.rules)
        finally:
            cursor.close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
