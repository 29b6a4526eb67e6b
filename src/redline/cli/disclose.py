"""`redline disclose`: a coordinated-disclosure report (Markdown and AVID JSON) for one finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption


def register(app: typer.Typer) -> None:
    @app.command("disclose")
    def disclose(
        run: Annotated[str, typer.Option("--run", help="The run id (or unique prefix).")],
        attempt: Annotated[
            str,
            typer.Option("--attempt", help="The attempt id (or unique prefix) of the finding."),
        ],
        output: Annotated[
            Path,
            typer.Option("--output", "-o", help="Folder for the report files."),
        ] = Path("disclosures"),
        runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
        as_json: JsonOption = False,
    ) -> None:
        """A coordinated-disclosure report for one successful attempt: affected system,
        minimal reproduction, attack family, severity by a stated rubric, impact,
        mitigations and timeline, with personal data and secrets redacted."""
        # Lazy: the guard's scanners and the analysis stack load only for this command.
        from redline.analysis import summarize_run
        from redline.cards.disclosure import (
            avid_report,
            build_disclosure,
            render_disclosure_markdown,
        )
        from redline.store import RunStore

        with RunStore(runs_dir).open(run) as handle:
            info, attempts, scores = handle.info, handle.read_attempts(), handle.read_scores()
        report = build_disclosure(
            info, summarize_run(info, attempts, scores), attempts, scores, attempt_id=attempt
        )
        output.mkdir(parents=True, exist_ok=True)
        stem = output / f"disclosure-{report.attempt_id}"
        markdown = stem.with_suffix(".md")
        avid = stem.with_suffix(".avid.json")
        markdown.write_text(render_disclosure_markdown(report), encoding="utf-8")
        avid.write_text(json.dumps(avid_report(report), indent=2) + "\n", encoding="utf-8")
        document = {
            "report_id": report.report_id,
            "severity": report.severity.level,
            "severity_score": report.severity.score,
            "attack_family": report.attack_family,
            "category": report.category,
            "redactions": report.redactions,
            "markdown": str(markdown),
            "avid_json": str(avid),
        }
        if as_json:
            typer.echo(json.dumps(document))
            return
        typer.echo(f"{report.title}: severity {report.severity.level}")
        typer.echo(f"written: {markdown} and {avid}")
