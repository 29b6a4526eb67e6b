"""`redline monitor`: traffic logs in, rates, alerts, anomalies, clusters and metrics out."""

from __future__ import annotations

import gc
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from redline.cli.options import JsonOption, NoProgressOption
from redline.core import ConfigError

DEFAULT_STORE = Path("monitor.duckdb")
# redline.monitor.record_scoring.DEFAULT_AUDIT_RATE (not imported: `--help` stays light).
DEFAULT_AUDIT_RATE = 0.002
StoreOption = Annotated[Path, typer.Option("--store", help="The monitoring store (a DuckDB file).")]
WindowOption = Annotated[str, typer.Option("--window", help="Window width: 30s, 15m, 1h, 1d, 1w.")]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Alert rules YAML (see docs/monitoring.md).")
]
GuardOnlyOption = Annotated[
    bool,
    typer.Option(
        "--guard-only",
        help="Guard verdicts only: refusals from the phrase patterns, no embeddings.",
    ),
]
ScoringOption = Annotated[
    str,
    typer.Option(
        "--scoring",
        help="screen (the default: the distilled monitor screen, ~30-40x faster than fast, "
        "a signal for window rates: classifier heads only, no PII/secret rules; an "
        "--audit-rate share also goes through the full guard), fast (a batch triage, and "
        "the full guard on the texts it is unsure of: the guard's own verdicts, ~500 "
        "records/s a core) or full (every text through the full guard); "
        "see docs/monitoring.md.",
    ),
]
AuditRateOption = Annotated[
    float,
    typer.Option(
        "--audit-rate",
        help="With --scoring screen (the default): the share of records (seeded by record "
        "key) also checked by the full guard, both labels stored to measure the screen's "
        "agreement; 0 disables. Each audited record costs two full checks (~3 ms).",
    ),
]
EmbedderOption = Annotated[
    str,
    typer.Option(
        "--embedder",
        help="ngram (the default: hashed word and character n-grams, fast, and it ranked "
        "a burst best), minilm (the sentence-transformer, ~34 texts/s on a core) or static "
        "(the static-MiniLM table); see docs/monitoring.md.",
    ),
]


def _err() -> Console:
    return Console(stderr=True)


def _settings(
    *,
    guard_only: bool,
    embedder: str,
    guard_policy: Path | None,
    scoring: str = "screen",
    field_map: list[str] | None = None,
    time_field: str | None = None,
    log_format: str = "auto",
    batch_size: int = 4096,
    audit_rate: float = DEFAULT_AUDIT_RATE,
) -> Any:
    from redline.guard import Guard
    from redline.monitor import FieldMap, IngestSettings, RecordScorer, load_embedder
    from redline.monitor.log_records import LOG_FORMATS
    from redline.monitor.record_scoring import SCORING_MODES, parse_audit_rate

    if scoring not in SCORING_MODES:
        raise ConfigError(f"--scoring {scoring!r}: expected one of {', '.join(SCORING_MODES)}")
    parse_audit_rate(audit_rate)
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"--format {log_format!r}: expected one of {', '.join(LOG_FORMATS)}")
    fields = FieldMap.parse(field_map, time_field=time_field)
    guard = Guard.from_policy(guard_policy) if guard_policy else Guard.default()
    settings = IngestSettings(
        scorer=RecordScorer(
            guard=guard,
            refusal="patterns" if guard_only else "model",
            scoring=scoring,  # type: ignore[arg-type]
            audit_rate=audit_rate,
        ),
        embedder=None if guard_only else load_embedder(embedder),
        fields=fields,
        log_format=log_format,  # type: ignore[arg-type]
        batch_size=batch_size,
    )
    # The models are loaded: keep the cyclic collector from walking their objects
    # again at every full collection (a long ingest allocates steadily; this was
    # ~15% of a --scoring screen ingest).
    gc.freeze()
    return settings


def ingest(
    logs: Annotated[
        list[Path], typer.Argument(help="Log files: JSONL chat records or OTel spans.")
    ],
    store: StoreOption = DEFAULT_STORE,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="Keep reading the (one) file as it grows; Ctrl-C stops."),
    ] = False,
    field_map: Annotated[
        list[str] | None,
        typer.Option("--field-map", help="FIELD=COLUMN: read a field from another column."),
    ] = None,
    time_field: Annotated[
        str | None, typer.Option("--time-field", help="The column holding each record's time.")
    ] = None,
    log_format: Annotated[str, typer.Option("--format", help="auto, chat or otel.")] = "auto",
    guard_only: GuardOnlyOption = False,
    embedder: EmbedderOption = "ngram",
    scoring: ScoringOption = "screen",
    audit_rate: AuditRateOption = DEFAULT_AUDIT_RATE,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Guard policy file (default: shipped policy).")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Records scored and stored at once.")
    ] = 4096,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between --follow polls.")] = 1.0,
    as_json: JsonOption = False,
    no_progress: NoProgressOption = False,
) -> None:
    """Score log records with the guard and the refusal scorer, embed them, store them.

    Re-ingesting a file adds nothing; an interrupted ingest resumes where it stopped.
    Malformed lines are skipped, listed as FILE:LINE and counted.
    """
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from redline.monitor import MonitorStore, follow_file, ingest_file
    from redline.monitor.windows import AuditAgreement

    if follow and len(logs) != 1:
        raise ConfigError("--follow reads one file; give exactly one LOG")
    settings = _settings(
        guard_only=guard_only,
        embedder=embedder,
        guard_policy=policy,
        scoring=scoring,
        field_map=field_map,
        time_field=time_field,
        log_format=log_format,
        batch_size=batch_size,
        audit_rate=audit_rate,
    )
    err = _err()
    results = []
    with (
        MonitorStore(store) as opened,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=no_progress,
        ) as bar,
    ):
        task = bar.add_task("ingesting", total=None)

        def show(result: Any) -> None:
            bar.update(
                task, description=f"{result.source}: {result.read:,} records, line {result.line:,}"
            )

        for path in logs:
            if follow:
                stop = threading.Event()
                try:
                    results.append(
                        follow_file(
                            path,
                            opened,
                            settings,
                            should_stop=stop.is_set,
                            wait=lambda: time.sleep(poll),
                            on_batch=show,
                        )
                    )
                except KeyboardInterrupt:
                    stop.set()
            else:
                results.append(ingest_file(path, opened, settings, on_batch=show))
        total = opened.count()
    scorer = settings.scorer
    document = {
        "store": str(store),
        "records_in_store": total,
        "scoring": scorer.scoring,
        # Distinct texts (per batch) the triage screened and the full guard checked.
        "texts_screened": scorer.screened,
        "texts_guard_checked": scorer.checked,
        "files": [r.as_dict() for r in results],
    }
    if scorer.scoring == "screen":
        # This run's audit sample (the store's, all runs: `redline monitor windows`).
        document["audit_rate"] = scorer.audit_rate
        document["audit"] = AuditAgreement(**_run_audit(scorer.audit)).as_dict()
    if as_json:
        typer.echo(json.dumps(document))
        return
    for result in results:
        for line in result.first_problems:
            typer.echo(f"malformed: {line}", err=True)
        more = result.problems - len(result.first_problems)
        if more > 0:
            typer.echo(
                f"... and {more} more malformed lines (see the store's problems table)", err=True
            )
        resumed = (
            f", resumed at line {result.resumed_from_line:,}" if result.resumed_from_line else ""
        )
        typer.echo(
            f"{result.source}: {result.read:,} records read, {result.added:,} new, "
            f"{result.problems:,} malformed, {result.skipped_spans:,} non-GenAI spans{resumed} "
            f"({result.seconds:.1f}s)"
        )
    if scorer.scoring == "fast" and scorer.screened:
        typer.echo(
            f"triage: {scorer.checked:,} of {scorer.screened:,} distinct texts went to the "
            "full guard"
        )
    if scorer.scoring == "screen":
        typer.echo(f"screen: {scorer.screened:,} distinct texts screened")
        typer.echo(AuditAgreement(**_run_audit(scorer.audit)).line())
    typer.echo(f"{store}: {total:,} records")


def _run_audit(counts: dict[str, int]) -> dict[str, int]:
    """The scorer's audit counters as AuditAgreement fields (no covered split per run)."""
    return {
        "texts": counts["texts"],
        "guard_flags": counts["guard_flags"],
        "screen_flags": counts["screen_flags"],
        "both_flags": counts["both_flags"],
    }


def windows(
    store: StoreOption = DEFAULT_STORE,
    window: WindowOption = "1h",
    as_json: JsonOption = False,
) -> None:
    """Print the rates per window: block, flag, refusal, over-refusal, guard categories."""
    from rich.table import Table

    from redline.monitor import MonitorStore, parse_duration, window_summaries
    from redline.monitor.windows import AuditAgreement, audit_agreement

    width = parse_duration(window)
    with MonitorStore(store, read_only=True) as opened:
        rows = window_summaries(opened.con, width_s=width)
        audits = audit_agreement(opened.con, width_s=width)
        audit_total = audit_agreement(opened.con).get(None, AuditAgreement())
    if as_json:
        documents = []
        for row in rows:
            document = row.as_dict()
            if row.start in audits:
                document["audit"] = audits[row.start].as_dict()
            documents.append(document)
        typer.echo(
            json.dumps({"window": window, "windows": documents, "audit": audit_total.as_dict()})
        )
        return
    table = Table(
        "window", "records", "blocked", "flagged", "refused", "over-refused", "top categories"
    )
    for row in rows:
        top = ", ".join(
            f"{k} {v}" for k, v in sorted(row.categories.items(), key=lambda kv: -kv[1])[:3]
        )
        table.add_row(
            row.start.isoformat(sep=" "),
            f"{row.total:,}",
            *(
                f"{row.rate(m):.1%}"
                for m in ("block_rate", "flag_rate", "refusal_rate", "over_refusal_rate")
            ),
            top,
        )
    Console().print(table)
    if audit_total.texts:
        typer.echo(audit_total.line())


def alerts(
    rules: Annotated[Path, typer.Option("--rules", help="Alert rules YAML.")],
    store: StoreOption = DEFAULT_STORE,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST the alerts as JSON to this URL.")
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="Only alerts for the latest window.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Evaluate alert rules over the windows; print the alerts and optionally POST them."""
    from redline.monitor import MonitorStore, evaluate_rules, load_rules, post_alerts

    loaded = load_rules(rules)
    with MonitorStore(store, read_only=True) as opened:
        found = evaluate_rules(opened.con, loaded)
    if latest and found:
        last = max(a.window_start for a in found)
        found = [a for a in found if a.window_start == last]
    status = post_alerts(webhook, found) if webhook and found else None
    if as_json:
        typer.echo(json.dumps({"alerts": [a.as_dict() for a in found], "webhook_status": status}))
        return
    for alert in found:
        typer.echo(f"{alert.window_start.isoformat(sep=' ')}  {alert.rule}: {alert.message}")
    typer.echo(
        f"{len(found)} alert(s)" + (f"; webhook answered {status}" if status else ""), err=True
    )


def _span(opened: Any, at: str | None, window_s: int, reference_s: int) -> tuple[Any, Any]:
    if at is not None:
        try:
            end = (
                datetime.fromisoformat(at.replace("Z", "+00:00"))
                .astimezone(UTC)
                .replace(tzinfo=None)
            )
        except ValueError:
            raise ConfigError(f"--at {at!r}: expected an ISO-8601 time") from None
    else:
        span = opened.time_range()
        if span is None:
            raise ConfigError(f"{opened.path}: the store has no records yet")
        end = span[1] + timedelta(microseconds=1)
    start = end - timedelta(seconds=window_s)
    return (start, end), (start - timedelta(seconds=reference_s), start)


def anomalies(
    store: StoreOption = DEFAULT_STORE,
    window: Annotated[
        str, typer.Option("--window", help="The window under test, ending at --at.")
    ] = "1d",
    reference: Annotated[
        str, typer.Option("--reference", help="The reference span just before the window.")
    ] = "7d",
    at: Annotated[
        str | None, typer.Option("--at", help="End of the window (default: the newest record).")
    ] = None,
    min_cluster_size: Annotated[
        int, typer.Option(min=2, help="Smallest cluster HDBSCAN reports.")
    ] = 10,
    no_drift: Annotated[bool, typer.Option("--no-drift", help="Skip the drift test.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Novelty, a drift test and new clusters for a window against its reference span."""
    from redline.monitor import MonitorStore, find_anomalies, parse_duration

    width = parse_duration(window)
    before = parse_duration(reference, what="--reference")
    with MonitorStore(store) as opened:
        span, ref = _span(opened, at, width, before)
        try:
            found = find_anomalies(
                opened,
                window=span,
                reference=ref,
                min_cluster_size=min_cluster_size,
                drift=not no_drift,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(found.as_dict()))
        return
    share = found.novel / found.records if found.records else 0.0
    typer.echo(
        f"window {span[0]} .. {span[1]}: {found.records:,} records vs {found.reference_records:,} "
        f"in the reference; novel {found.novel:,} ({share:.1%})"
    )
    if found.drift is not None:
        typer.echo(f"drift: MMD {found.drift.statistic:.3g}, p = {found.drift.p_value:.3g}")
    for cluster in found.clusters:
        _print_cluster(cluster.row)


def _print_cluster(row: Any) -> None:
    categories = ", ".join(f"{k} {v}" for k, v in row.categories.items()) or "none"
    typer.echo(
        f"cluster {row.id}: {row.size} records, {row.first_seen} .. {row.last_seen}\n"
        f"  terms: {', '.join(row.top_terms) or '-'}\n  guard: {categories}"
    )
    for example in row.examples:
        typer.echo(f"  > {example[:160]!r}")


def clusters(store: StoreOption = DEFAULT_STORE, as_json: JsonOption = False) -> None:
    """List the clusters anomaly detection has found."""
    from redline.monitor import MonitorStore
    from redline.monitor.clusters import FoundCluster

    with MonitorStore(store, read_only=True) as opened:
        rows = opened.clusters()
    if as_json:
        typer.echo(json.dumps({"clusters": [FoundCluster(r, []).as_dict() for r in rows]}))
        return
    for row in rows:
        _print_cluster(row)
    typer.echo(f"{len(rows)} cluster(s)", err=True)


def export_cluster(
    cluster_id: Annotated[int, typer.Argument(help="The cluster's id (redline monitor clusters).")],
    store: StoreOption = DEFAULT_STORE,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Abuse-report JSONL to write.")
    ] = Path("cluster-reports.jsonl"),
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="Policy violated (default: the cluster's hazard)."),
    ] = None,
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "medium",
    as_json: JsonOption = False,
) -> None:
    """Write a cluster's records as abuse reports, ready for `redline regress ingest`."""
    from redline.monitor import MonitorStore, cluster_reports, write_reports
    from redline.regress.reports import SEVERITIES

    if severity not in SEVERITIES:
        raise ConfigError(f"--severity {severity!r}: expected one of {', '.join(SEVERITIES)}")
    with MonitorStore(store, read_only=True) as opened:
        reports = cluster_reports(opened, cluster_id, policy=policy, severity=severity)
    write_reports(reports, output)
    if as_json:
        typer.echo(
            json.dumps({"cluster": cluster_id, "reports": len(reports), "output": str(output)})
        )
        return
    typer.echo(f"cluster {cluster_id}: {len(reports)} reports -> {output}")
    typer.echo(f"next: redline regress ingest {output} -o suite.yaml", err=True)


def report(
    store: StoreOption = DEFAULT_STORE,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "monitor.html"
    ),
    window: WindowOption = "1h",
    rules: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the monitoring HTML report: rates per window, alerts, clusters."""
    from redline.monitor import (
        MonitorStore,
        evaluate_rules,
        load_rules,
        parse_duration,
        render_report,
        window_summaries,
    )
    from redline.monitor.html_report import write_report

    width = parse_duration(window)
    loaded = load_rules(rules) if rules else None
    with MonitorStore(store, read_only=True) as opened:
        found = evaluate_rules(opened.con, loaded) if loaded else []
        rows = window_summaries(opened.con, width_s=width)
        html = render_report(
            opened,
            windows=rows,
            window_label=window,
            alerts=found,
            clusters=opened.clusters(),
            rules_given=loaded is not None,
        )
    write_report(output, html)
    if as_json:
        typer.echo(json.dumps({"output": str(output), "windows": len(rows), "alerts": len(found)}))
        return
    typer.echo(f"report: {output} ({len(rows)} windows, {len(found)} alerts)")


def serve(
    store: StoreOption = DEFAULT_STORE,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 9464,
    window: WindowOption = "1h",
    rules: RulesOption = None,
    follow: Annotated[
        Path | None, typer.Option("--follow", help="Also ingest this log as it grows.")
    ] = None,
    guard_only: GuardOnlyOption = False,
    embedder: EmbedderOption = "ngram",
    scoring: ScoringOption = "screen",
    audit_rate: AuditRateOption = DEFAULT_AUDIT_RATE,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between --follow polls.")] = 1.0,
) -> None:
    """Serve Prometheus metrics at /metrics (and /healthz); with --follow, ingest too.

    DuckDB lets one process write a store, so the ingest that feeds a served store
    runs here (--follow) rather than in a second process.
    """
    from redline.monitor import MetricsServer, MonitorStore, follow_file, load_rules, parse_duration

    width = parse_duration(window)
    loaded = load_rules(rules) if rules else None
    settings = (
        _settings(
            guard_only=guard_only,
            embedder=embedder,
            guard_policy=None,
            scoring=scoring,
            audit_rate=audit_rate,
        )
        if follow
        else None
    )
    with MonitorStore(store) as opened:
        try:
            server = MetricsServer(opened.con, host=host, port=port, width_s=width, rules=loaded)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        stop = threading.Event()
        feeder = None
        if follow is not None:
            feeder = threading.Thread(
                target=follow_file,
                args=(follow, opened.for_thread(), settings),
                kwargs={"should_stop": stop.is_set, "wait": lambda: stop.wait(poll)},
                daemon=True,
            )
            feeder.start()
        typer.echo(f"metrics: http://{host}:{server.port}/metrics", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.shutdown()
            if feeder is not None:
                feeder.join(timeout=30)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Watch production logs: guard rates, alerts, anomalies.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="monitor")
    group.command("ingest")(ingest)
    group.command("windows")(windows)
    group.command("alerts")(alerts)
    group.command("anomalies")(anomalies)
    group.command("clusters")(clusters)
    group.command("export-cluster")(export_cluster)
    group.command("report")(report)
    group.command("serve")(serve)
