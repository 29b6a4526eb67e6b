"""Alert rules over the window time series, from a YAML file, and sending alerts to a webhook.

A rules file::

    window: 1h                     # the width of a window
    rules:
      - name: block-rate-high
        metric: block_rate         # see redline.monitor.windows for the metrics
        threshold: 0.05            # fires when the window's rate is above this
        min_count: 100             # ...and the window has at least this many records
      - name: injection-surge
        metric: category:injection
        rate_change:               # fires when the rate rose against the baseline
          baseline_windows: 24     # the windows before this one, pooled
          p_value: 0.001           # one-sided Fisher exact test, window vs baseline
          min_ratio: 2.0           # and the rate is at least this many times the baseline's
        min_count: 50
        min_events: 5              # records that count for the metric in the window
      - name: novel-traffic        # no metric: it reads the stored embeddings
        novelty_shift:
          reference: 6h            # the span the window is compared with,
          gap: 1h                  # ending this long before the window starts
          test: exceedance         # or mann_whitney
          quantile: 0.9            # share above the reference's 90th percentile...
          p_value: 0.001           # ...vs the 10% chance lets through, binomial test
          k: 5                     # neighbours of the kNN novelty score
          min_reference: 100       # reference records the test needs
        min_count: 20

A rule has one of ``threshold``, ``rate_change`` and ``novelty_shift``. Minimum counts
keep a quiet hour with 2 records, one of them blocked, from paging anyone.

``novelty_shift`` scores the window's records by kNN novelty against the reference
(:func:`redline.monitor.novelty.novelty_shift`). The ``gap`` keeps a burst out of its
own reference for that long: with none, the burst's first window joins the reference
of the next, and its records, near copies of each other, stop looking new.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.stats import fisher_exact

from redline.core.config_files import read_yaml
from redline.core.errors import ConfigError, RedlineError
from redline.monitor.novelty import ShiftTest, novelty_shift
from redline.monitor.store import embeddings_between, stored_embedder
from redline.monitor.windows import (
    WindowCount,
    embedded_windows,
    metric_predicate,
    parse_duration,
    window_counts,
)

_WEBHOOK_TIMEOUT_S = 10.0


class RateChange(BaseModel):
    """Fire when the window's rate rose significantly over the pooled baseline windows."""

    model_config = ConfigDict(extra="forbid")
    baseline_windows: int = Field(24, ge=1)
    p_value: float = Field(0.001, gt=0, lt=1)
    min_ratio: float = Field(2.0, ge=1.0)


def _duration(value: str, what: str) -> str:
    try:
        parse_duration(value, what=what)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return value


class NoveltyShift(BaseModel):
    """Fire when the window's records are more novel against the reference span than
    the reference's own records are (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    reference: str = "6h"
    gap: str = "1h"
    test: ShiftTest = "exceedance"
    quantile: float = Field(0.9, gt=0, lt=1)
    p_value: float = Field(0.001, gt=0, lt=1)
    k: int = Field(5, ge=1, le=100)
    min_reference: int = Field(100, ge=10)
    # Records read from the reference span and from the window (a sample by key hash
    # beyond this): at 580 records a second a 6 h span holds 12 million.
    max_records: int = Field(5000, ge=100)

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        return _duration(value, "reference")

    @field_validator("gap")
    @classmethod
    def _gap(cls, value: str) -> str:
        return _duration(value, "gap")


NOVELTY_METRIC = "novelty"


class AlertRule(BaseModel):
    """One rule (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    metric: str | None = None
    threshold: float | None = Field(None, ge=0, le=1)
    rate_change: RateChange | None = None
    novelty_shift: NoveltyShift | None = None
    min_count: int = Field(30, ge=1)
    min_events: int = Field(1, ge=0)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            metric_predicate(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> AlertRule:
        kinds = [self.threshold, self.rate_change, self.novelty_shift]
        if sum(kind is not None for kind in kinds) != 1:
            raise ValueError("give one of threshold, rate_change or novelty_shift")
        if self.novelty_shift is not None and self.metric is not None:
            raise ValueError("a novelty_shift rule reads the embeddings: give it no metric")
        if self.novelty_shift is None and self.metric is None:
            raise ValueError("metric: a threshold or rate_change rule needs one")
        return self

    @property
    def metric_name(self) -> str:
        """The metric an alert names (``novelty`` for a novelty_shift rule)."""
        return self.metric if self.metric is not None else NOVELTY_METRIC


class AlertRules(BaseModel):
    """A rules file: the window width and the rules."""

    model_config = ConfigDict(extra="forbid")
    window: str = "1h"
    rules: list[AlertRule] = Field(min_length=1)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        return _duration(value, "window")

    @property
    def window_s(self) -> int:
        return parse_duration(self.window)


def load_rules(path: Path) -> AlertRules:
    """Read a rules file; errors name ``FILE:LINE: field``."""
    document = read_yaml(path, what="alert rules file")
    rules = document.validate(AlertRules, description="a mapping with window and rules")
    names = [r.name for r in rules.rules]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise document.error(("rules", index, "name"), f"rule name {name!r} is used twice")
    return rules


@dataclass(frozen=True)
class Alert:
    """One rule that fired for one window."""

    rule: str
    metric: str
    window_start: datetime
    count: int
    total: int
    rate: float
    message: str
    baseline_rate: float | None = None
    p_value: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["window_start"] = self.window_start.isoformat()
        return data


def _threshold_alert(rule: AlertRule, window: WindowCount) -> Alert | None:
    assert rule.threshold is not None
    if window.rate <= rule.threshold:
        return None
    return Alert(
        rule=rule.name,
        metric=rule.metric_name,
        window_start=window.start,
        count=window.count,
        total=window.total,
        rate=window.rate,
        message=f"{rule.metric} {window.rate:.2%} > {rule.threshold:.2%} "
        f"({window.count}/{window.total})",
    )


def _rate_change_alert(
    rule: AlertRule, window: WindowCount, baseline: Sequence[WindowCount]
) -> Alert | None:
    change = rule.rate_change
    assert change is not None
    base_count = sum(w.count for w in baseline)
    base_total = sum(w.total for w in baseline)
    if base_total < rule.min_count:
        return None
    base_rate = base_count / base_total
    # Half an event of smoothing: a rise from zero is still a finite ratio.
    if window.rate < change.min_ratio * max(base_rate, 0.5 / base_total):
        return None
    table = [[window.count, window.total - window.count], [base_count, base_total - base_count]]
    p_value = float(fisher_exact(table, alternative="greater").pvalue)
    if p_value >= change.p_value:
        return None
    return Alert(
        rule=rule.name,
        metric=rule.metric_name,
        window_start=window.start,
        count=window.count,
        total=window.total,
        rate=window.rate,
        baseline_rate=base_rate,
        p_value=p_value,
        message=f"{rule.metric} {window.rate:.2%} vs baseline {base_rate:.2%} "
        f"({window.count}/{window.total} vs {base_count}/{base_total}, p={p_value:.2g})",
    )


def evaluate_rule(rule: AlertRule, windows: Sequence[WindowCount]) -> list[Alert]:
    """The alerts a threshold or rate_change ``rule`` raises over ``windows`` (oldest
    first, as stored)."""
    if rule.novelty_shift is not None:
        raise ValueError(f"rule {rule.name!r}: a novelty_shift rule needs the store")
    alerts = []
    for index, window in enumerate(windows):
        if window.total < rule.min_count or window.count < rule.min_events:
            continue
        if rule.threshold is not None:
            alert = _threshold_alert(rule, window)
        else:
            assert rule.rate_change is not None
            start = max(0, index - rule.rate_change.baseline_windows)
            alert = _rate_change_alert(rule, window, windows[start:index])
        if alert is not None:
            alerts.append(alert)
    return alerts


def _novelty_alert(
    con: duckdb.DuckDBPyConnection, rule: AlertRule, window: WindowCount, width_s: int
) -> Alert | None:
    shift = rule.novelty_shift
    assert shift is not None
    reference_end = window.start - timedelta(seconds=parse_duration(shift.gap))
    reference_start = reference_end - timedelta(seconds=parse_duration(shift.reference))
    limit = shift.max_records
    _, reference = embeddings_between(con, reference_start, reference_end, limit=limit, sample=True)
    if len(reference) < max(shift.min_reference, shift.k + 1):
        return None
    window_end = window.start + timedelta(seconds=width_s)
    _, now = embeddings_between(con, window.start, window_end, limit=limit, sample=True)
    if len(now) == 0:
        return None
    # As `monitor anomalies`: MiniLM vectors rank better uncentred (docs/monitoring.md).
    found = novelty_shift(
        np.asarray(reference),
        np.asarray(now),
        test=shift.test,
        quantile=shift.quantile,
        k=shift.k,
        centre=stored_embedder(con) != "minilm",
    )
    if found.p_value >= shift.p_value:
        return None
    if found.test == "exceedance":
        told = (
            f"{found.novel}/{found.window_records} records above the reference's "
            f"{shift.quantile:.0%} novelty quantile (expected {found.expected:.1f})"
        )
    else:
        told = (
            f"window records more novel than the reference's in {found.statistic:.0%} "
            "of pairs (50% by chance)"
        )
    return Alert(
        rule=rule.name,
        metric=NOVELTY_METRIC,
        window_start=window.start,
        count=found.novel,
        total=found.window_records,
        rate=found.novel / found.window_records,
        baseline_rate=1.0 - shift.quantile,
        p_value=found.p_value,
        message=f"novelty: {told}, p={found.p_value:.2g} "
        f"(reference: {found.reference_records} records)",
    )


def rule_alerts(
    con: duckdb.DuckDBPyConnection, rule: AlertRule, *, width_s: int, latest_only: bool = False
) -> list[Alert]:
    """The alerts ``rule`` raises over the store's windows of ``width_s`` seconds (only
    for the newest window with ``latest_only``)."""
    if rule.novelty_shift is None:
        assert rule.metric is not None
        counts = window_counts(con, rule.metric, width_s=width_s)
        alerts = evaluate_rule(rule, counts)
        if latest_only:
            alerts = [a for a in alerts if counts and a.window_start == counts[-1].start]
        return alerts
    windows = embedded_windows(con, width_s=width_s)
    if latest_only:
        windows = windows[-1:]
    found = (
        _novelty_alert(con, rule, window, width_s)
        for window in windows
        if window.total >= rule.min_count
    )
    return [alert for alert in found if alert is not None]


def evaluate_rules(con: duckdb.DuckDBPyConnection, rules: AlertRules) -> list[Alert]:
    """Every alert of every rule over the store's windows, by time then rule."""
    alerts = []
    for rule in rules.rules:
        alerts.extend(rule_alerts(con, rule, width_s=rules.window_s))
    alerts.sort(key=lambda a: (a.window_start, a.rule))
    return alerts


def post_alerts(url: str, alerts: Sequence[Alert]) -> int:
    """POST ``{"alerts": [...]}`` as JSON to ``url``; returns the HTTP status.

    A failure is a :class:`RedlineError` (exit 3) naming the URL.
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--webhook {url!r}: expected an http:// or https:// URL")
    body = json.dumps({"alerts": [a.as_dict() for a in alerts]}).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=_WEBHOOK_TIMEOUT_S) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise RedlineError(f"webhook {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RedlineError(f"webhook {url}: {reason}") from None
