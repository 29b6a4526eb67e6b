"""Prometheus text-format metrics for the guard service, without a client library."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

# Seconds; guard checks are sub-millisecond to a few ms, proxied calls take seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GuardMetrics:
    """Request counts by route and action, and a latency histogram by route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: Counter[str] = Counter()

    def observe(self, route: str, action: str, seconds: float) -> None:
        with self._lock:
            self._requests[(route, action)] += 1
            buckets = self._buckets.setdefault(route, [0] * len(LATENCY_BUCKETS))
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1
            self._sums[route] += seconds
            self._counts[route] += 1

    def render(self) -> str:
        lines = [
            "# HELP redline_guard_requests_total Guard requests by route and resulting action.",
            "# TYPE redline_guard_requests_total counter",
        ]
        with self._lock:
            for (route, action), count in sorted(self._requests.items()):
                lines.append(
                    f'redline_guard_requests_total{{route="{route}",action="{action}"}} {count}'
                )
            lines += [
                "# HELP redline_guard_request_seconds Time to answer a request.",
                "# TYPE redline_guard_request_seconds histogram",
            ]
            name = "redline_guard_request_seconds"
            for route, buckets in sorted(self._buckets.items()):
                for bound, count in zip(LATENCY_BUCKETS, buckets, strict=True):
                    lines.append(f'{name}_bucket{{route="{route}",le="{bound}"}} {count}')
                total = self._counts[route]
                lines.append(
                    f'redline_guard_request_seconds_bucket{{route="{route}",le="+Inf"}} {total}'
                )
                lines.append(
                    f'redline_guard_request_seconds_sum{{route="{route}"}} {self._sums[route]:.6f}'
                )
                lines.append(f'redline_guard_request_seconds_count{{route="{route}"}} {total}')
        return "\n".join(lines) + "\n"
