"""Time series over the store: per window, how many records and how many of each kind.

Windows are aligned to the Unix epoch (a 1h window starts on the hour, UTC). A
*metric* names the records counted: ``block_rate``, ``input_block_rate``,
``output_block_rate``, ``flag_rate`` (any guard finding), ``refusal_rate`` (full
refusals), ``over_refusal_rate`` (the proxy of :mod:`redline.monitor.record_scoring`),
or ``category:NAME`` (a guard category on either side: ``category:injection`` matches
``injection.direct`` and ``injection.indirect``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb

from redline.core.errors import ConfigError
from redline.monitor.store import has_table

METRICS: dict[str, str] = {
    "block_rate": "(input_action = 'block' OR output_action = 'block')",
    "input_block_rate": "input_action = 'block'",
    "output_block_rate": "output_action = 'block'",
    "flag_rate": "(len(input_categories) + len(output_categories) > 0)",
    "refusal_rate": "refusal = 'full_refusal'",
    "over_refusal_rate": "over_refusal",
}
CATEGORY_PREFIX = "category:"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CATEGORY_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def parse_duration(text: str, *, what: str = "--window") -> int:
    """``"15m"`` -> 900 seconds (units s, m, h, d, w)."""
    match = _DURATION.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"{what} {text!r}: expected a duration such as 30s, 15m, 1h, 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def metric_predicate(metric: str) -> str:
    """The SQL condition a record meets to count for ``metric``."""
    if metric in METRICS:
        return METRICS[metric]
    if metric.startswith(CATEGORY_PREFIX):
        name = metric.removeprefix(CATEGORY_PREFIX)
        if not _CATEGORY_NAME.match(name):
            raise ConfigError(f"metric {metric!r}: a category is letters, digits, '.', '_', '-'")
        return (
            "len(list_filter(list_concat(input_categories, output_categories), "
            f"lambda c: c = '{name}' OR starts_with(c, '{name}.'))) > 0"
        )
    raise ConfigError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}, or category:NAME")


@dataclass(frozen=True, slots=True)
class WindowCount:
    """``count`` of the ``total`` records in the window starting at ``start``."""

    start: datetime
    count: int
    total: int

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0


def _bucket(width_s: int) -> str:
    width_us = width_s * 1_000_000
    return f"make_timestamp((epoch_us(ts) // {width_us}) * {width_us})"


def window_counts(
    con: duckdb.DuckDBPyConnection, metric: str, *, width_s: int
) -> list[WindowCount]:
    """Per window (oldest first, windows with records only): the metric's count and total."""
    predicate = metric_predicate(metric)
    rows = con.execute(
        f"SELECT {_bucket(width_s)} AS w, count(*) FILTER (WHERE {predicate}), count(*) "
        "FROM records GROUP BY w ORDER BY w"
    ).fetchall()
    return [WindowCount(start=r[0], count=int(r[1]), total=int(r[2])) for r in rows]


def embedded_windows(con: duckdb.DuckDBPyConnection, *, width_s: int) -> list[WindowCount]:
    """Per window (oldest first) the records that have an embedding (``count`` and
    ``total`` alike)."""
    rows = con.execute(
        f"SELECT {_bucket(width_s)} AS w, count(*) FROM records "
        "WHERE embedding IS NOT NULL GROUP BY w ORDER BY w"
    ).fetchall()
    return [WindowCount(start=r[0], count=int(r[1]), total=int(r[1])) for r in rows]


@dataclass(frozen=True)
class WindowSummary:
    """Every built-in metric's count, and each guard category's, for one window."""

    start: datetime
    total: int
    counts: dict[str, int]
    categories: dict[str, int]

    def rate(self, name: str) -> float:
        return self.counts.get(name, 0) / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "total": self.total,
            "rates": {name: round(self.rate(name), 6) for name in self.counts},
            "counts": self.counts,
            "categories": self.categories,
        }


def window_summaries(con: duckdb.DuckDBPyConnection, *, width_s: int) -> list[WindowSummary]:
    """All windows with records, oldest first."""
    filters = ", ".join(f"count(*) FILTER (WHERE {sql})" for sql in METRICS.values())
    rows = con.execute(
        f"SELECT {_bucket(width_s)} AS w, count(*), {filters} FROM records GROUP BY w ORDER BY w"
    ).fetchall()
    by_category = con.execute(
        f"SELECT w, c, count(*) FROM (SELECT {_bucket(width_s)} AS w, "
        "unnest(list_distinct(list_concat(input_categories, output_categories))) AS c "
        "FROM records) GROUP BY w, c"
    ).fetchall()
    categories: dict[datetime, dict[str, int]] = {}
    for start, name, count in by_category:
        categories.setdefault(start, {})[str(name)] = int(count)
    return [
        WindowSummary(
            start=row[0],
            total=int(row[1]),
            counts={name: int(v) for name, v in zip(METRICS, row[2:], strict=True)},
            categories=dict(sorted(categories.get(row[0], {}).items())),
        )
        for row in rows
    ]


# Guard categories the screen predicts: the classifier-head scanners'.
SCREENED_SCANNERS = ("jailbreak", "injection", "harm")


@dataclass(frozen=True)
class AuditAgreement:
    """The screen against the full guard on the audit sample (``--scoring screen``):
    audited texts (a record's prompt and response count apart), how many each
    flagged, how many both flagged, and the guard's flags from the scanners the
    screen predicts (``covered``; the rest, PII and other rules, it never sees)."""

    texts: int = 0
    guard_flags: int = 0
    screen_flags: int = 0
    both_flags: int = 0
    guard_flags_covered: int = 0
    both_covered: int = 0

    @property
    def recall(self) -> float | None:
        """Share of the guard's flags (any scanner) the screen flagged too."""
        return self.both_flags / self.guard_flags if self.guard_flags else None

    @property
    def covered_recall(self) -> float | None:
        """The same, over the guard's flags from the scanners the screen predicts."""
        return self.both_covered / self.guard_flags_covered if self.guard_flags_covered else None

    @property
    def precision(self) -> float | None:
        """Share of the screen's flags the guard flagged too."""
        return self.both_flags / self.screen_flags if self.screen_flags else None

    def as_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "texts": self.texts,
            "guard_flags": self.guard_flags,
            "screen_flags": self.screen_flags,
            "both_flags": self.both_flags,
            "guard_flags_covered": self.guard_flags_covered,
            "recall": rounded(self.recall),
            "covered_recall": rounded(self.covered_recall),
            "precision": rounded(self.precision),
        }

    def line(self) -> str:
        """One line for the CLI and the HTML report."""
        if not self.texts:
            return "audit sample: none (only --scoring screen audits)"

        def share(value: float | None) -> str:
            return "-" if value is None else f"{value:.0%}"

        return (
            f"audit sample: {self.texts:,} texts through the full guard; it flagged "
            f"{self.guard_flags:,} ({self.guard_flags_covered:,} from the screened scanners), "
            f"the screen {self.screen_flags:,}; the screen found {share(self.recall)} of the "
            f"guard's flags ({share(self.covered_recall)} of the screened scanners') at "
            f"precision {share(self.precision)}"
        )


def audit_agreement(
    con: duckdb.DuckDBPyConnection, *, width_s: int | None = None
) -> dict[datetime | None, AuditAgreement]:
    """The audit sample's agreement per window (``width_s``), or in all (key None)."""
    covered = ", ".join(f"'{name}'" for name in SCREENED_SCANNERS)
    guard_covered = (
        f"len(list_filter(guard_categories, lambda c: split_part(c, '.', 1) IN ({covered}))) > 0"
    )
    group = _bucket(width_s) if width_s else "NULL::TIMESTAMP"
    if not has_table(con, "audits"):
        return {}  # a store written before audits existed (opened read-only)
    rows = con.execute(
        f"SELECT {group} AS w, count(*), "
        "count(*) FILTER (WHERE len(guard_categories) > 0), "
        "count(*) FILTER (WHERE len(screen_categories) > 0), "
        "count(*) FILTER (WHERE len(guard_categories) > 0 AND len(screen_categories) > 0), "
        f"count(*) FILTER (WHERE {guard_covered}), "
        f"count(*) FILTER (WHERE {guard_covered} AND len(screen_categories) > 0) "
        "FROM audits GROUP BY w ORDER BY w"
    ).fetchall()
    return {row[0]: AuditAgreement(*(int(v) for v in row[1:])) for row in rows}
