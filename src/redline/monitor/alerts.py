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

A rule has ``threshold`` or ``rate_change``, not both. Minimum counts keep a quiet
hour with 2 records, one of them blocked, from paging anyone.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.stats import fisher_exact

from redline.core.config_files import read_yaml
from redline.core.errors import ConfigError, RedlineError
from redline.monitor.windows import WindowCount, metric_predicate, parse_duration, window_counts

_WEBHOOK_TIMEOUT_S = 10.0


class RateChange(BaseModel):
    """Fire when the window's rate rose significantly over the pooled baseline windows."""

    model_config = ConfigDict(extra="forbid")
    baseline_windows: int = Field(24, ge=1)
    p_value: float = Field(0.001, gt=0, lt=1)
    min_ratio: float = Field(2.0, ge=1.0)


class AlertRule(BaseModel):
    """One rule (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    metric: str
    threshold: float | None = Field(None, ge=0, le=1)
    rate_change: RateChange | None = None
    min_count: int = Field(30, ge=1)
    min_events: int = Field(1, ge=0)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        try:
            metric_predicate(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> AlertRule:
        if (self.threshold is None) == (self.rate_change is None):
            raise ValueError("give either threshold or rate_change")
        return self


class AlertRules(BaseModel):
    """A rules file: the window width and the rules."""

    model_config = ConfigDict(extra="forbid")
    window: str = "1h"
    rules: list[AlertRule] = Field(min_length=1)

    @field_validator("window")
    @classmethod
    def _duration(cls, value: str) -> str:
        try:
            parse_duration(value, what="window")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

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
        metric=rule.metric,
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
        metric=rule.metric,
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
    """The alerts ``rule`` raises over ``windows`` (oldest first, as stored)."""
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


def evaluate_rules(con: duckdb.DuckDBPyConnection, rules: AlertRules) -> list[Alert]:
    """Every alert of every rule over the store's windows, by time then rule."""
    alerts = []
    for rule in rules.rules:
        alerts.extend(evaluate_rule(rule, window_counts(con, rule.metric, width_s=rules.window_s)))
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
