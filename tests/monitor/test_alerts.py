"""Alert rules: loading with FILE:LINE errors, thresholds, rate changes, the webhook."""

from __future__ import annotations

import json
import threading
import typing
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from redline.core import ConfigError, RedlineError
from redline.monitor import AlertRule, load_rules, post_alerts
from redline.monitor.alerts import Alert, RateChange, evaluate_rule
from redline.monitor.windows import WindowCount

START = datetime(2026, 1, 1)


def _windows(rates_and_totals):
    return [
        WindowCount(start=START + timedelta(hours=i), count=count, total=total)
        for i, (count, total) in enumerate(rates_and_totals)
    ]


def test_rules_file_errors_name_the_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("window: 1h\nrules:\n  - name: a\n    metric: block_rate\n    threshold: 2\n")
    with pytest.raises(ConfigError, match=r"rules.yaml:5: rules.0.threshold"):
        load_rules(path)
    path.write_text("rules:\n  - name: a\n    metric: nonsense\n    threshold: 0.1\n")
    with pytest.raises(ConfigError, match=r"rules.yaml:3: rules.0.metric: unknown metric"):
        load_rules(path)
    path.write_text("rules:\n  - name: a\n    metric: block_rate\n")
    with pytest.raises(ConfigError, match="one of threshold, rate_change or novelty_shift"):
        load_rules(path)
    path.write_text("window: soon\nrules:\n  - {name: a, metric: block_rate, threshold: 0.1}\n")
    with pytest.raises(ConfigError, match=r"rules.yaml:1: window"):
        load_rules(path)
    path.write_text(
        "rules:\n  - {name: a, metric: block_rate, threshold: 0.1}\n"
        "  - {name: a, metric: flag_rate, threshold: 0.1}\n"
    )
    with pytest.raises(
        ConfigError, match=r"rules.yaml:3: rules.1.name: rule name 'a' is used twice"
    ):
        load_rules(path)


def test_threshold_rule_respects_min_counts():
    rule = AlertRule(name="b", metric="block_rate", threshold=0.1, min_count=50, min_events=3)
    windows = _windows([(11, 100), (2, 10), (10, 100), (9, 60)])
    fired = evaluate_rule(rule, windows)
    # (2, 10) is 20% but has only 10 records; (10, 100) is not above 10%.
    assert [a.window_start.hour for a in fired] == [0, 3]
    assert fired[0].message == "block_rate 11.00% > 10.00% (11/100)"


def test_rate_change_fires_on_a_significant_rise_only():
    rule = AlertRule(
        name="surge",
        metric="category:injection",
        rate_change=RateChange(baseline_windows=4, p_value=0.001, min_ratio=2.0),
        min_count=50,
    )
    steady = [(5, 1000)] * 6
    assert evaluate_rule(rule, _windows(steady)) == []
    noisy = [*steady, (9, 1000)]  # 0.9% vs 0.5%: not significant at 0.001
    assert evaluate_rule(rule, _windows(noisy)) == []
    burst = [*steady, (60, 1000)]
    (alert,) = evaluate_rule(rule, _windows(burst))
    assert alert.window_start.hour == 6
    assert alert.baseline_rate == pytest.approx(0.005)
    assert alert.p_value is not None and alert.p_value < 1e-10


def test_rate_change_needs_a_baseline_big_enough():
    rule = AlertRule(name="s", metric="block_rate", rate_change=RateChange(), min_count=100)
    # The first window has no baseline; the second's baseline has 60 records (< 100).
    assert evaluate_rule(rule, _windows([(0, 60), (30, 200)])) == []


def test_rise_from_zero_can_fire():
    rule = AlertRule(name="s", metric="block_rate", rate_change=RateChange(baseline_windows=3))
    (alert,) = evaluate_rule(rule, _windows([(0, 500), (0, 500), (0, 500), (20, 500)]))
    assert alert.baseline_rate == 0.0


class _Receiver(BaseHTTPRequestHandler):
    received: typing.ClassVar[list[dict]] = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)}
        )
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _alert():
    return Alert(
        rule="surge", metric="block_rate", window_start=START, count=3, total=10, rate=0.3,
        message="block_rate 30%",
    )  # fmt: skip


def test_webhook_gets_the_alerts_as_json(receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    assert post_alerts(url, [_alert()]) == 200
    (got,) = _Receiver.received
    assert got["path"] == "/hook" and got["type"] == "application/json"
    assert got["body"]["alerts"][0]["rule"] == "surge"
    assert got["body"]["alerts"][0]["window_start"] == "2026-01-01T00:00:00"


def test_webhook_failures_are_runtime_errors(receiver):
    _Receiver.status = 500
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with pytest.raises(RedlineError, match="HTTP 500") as caught:
        post_alerts(url, [_alert()])
    assert caught.value.exit_code == 3
    with pytest.raises(ConfigError, match="expected an http"):
        post_alerts("ftp://x", [_alert()])


def _scored(key, minute, categories, action="allow"):
    from redline.monitor.store import ScoredRecord

    return ScoredRecord(
        key=key, timestamp=START + timedelta(minutes=minute), source="s", line=1, model="",
        prompt="p", response="", input_action=action, output_action="",
        input_categories=categories, output_categories=[], refusal="no_response",
        over_refusal=False,
    )  # fmt: skip


def test_category_metrics_match_a_scanner_or_one_category(tmp_path):
    from redline.monitor import MonitorStore
    from redline.monitor.store import SourcePosition
    from redline.monitor.windows import window_counts

    rows = [
        _scored("a", 1, ["injection.direct"], "block"),
        _scored("b", 2, ["injectionish.x"]),
        _scored("c", 3, ["pii.email", "injection.indirect"]),
        _scored("d", 70, []),
    ]
    with MonitorStore(tmp_path / "m.duckdb") as store:
        store.save_batch("s", rows, None, [], SourcePosition())
        by_scanner = window_counts(store.con, "category:injection", width_s=3600)
        one = window_counts(store.con, "category:injection.direct", width_s=3600)
        blocks = window_counts(store.con, "block_rate", width_s=3600)
    assert [(w.count, w.total) for w in by_scanner] == [(2, 3), (0, 1)]
    assert [w.count for w in one] == [1, 0]
    assert [w.count for w in blocks] == [1, 0]
