"""`redline guard`: check texts, scan files, and run the guard service or proxy."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from redline.cli.labelled_eval import register_guard_eval
from redline.core import ConfigError

PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped default policy).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")]
SideOption = Annotated[
    str, typer.Option("--side", help="input (to the model) or output (from it).")
]

err = Console(stderr=True)


def _side(value: str) -> str:
    if value not in ("input", "output"):
        raise ConfigError(f"--side: expected input or output, got {value!r}")
    return value


def _guard(policy: Path | None) -> Any:
    from redline.guard import Guard

    guard = Guard.from_policy(policy) if policy else Guard.default()
    for name, reason in guard.skipped.items():
        err.print(f"[yellow]note:[/] {name}: {reason}")
    return guard


def _records(
    path: Path, side: str
) -> Iterator[tuple[int, str, str | None, str | None, str | None]]:
    """(line, id, text, prompt-or-context, error) for each row of a JSONL or CSV file."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield _pick(number, row, side)
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield number, str(number), None, None, f"not UTF-8 (byte {exc.start})"
                continue
            except json.JSONDecodeError as exc:
                yield number, str(number), None, None, f"not JSON: {exc.msg}"
                continue
            if not isinstance(row, dict):
                yield number, str(number), None, None, "not a JSON object"
                continue
            yield _pick(number, row, side)


def _pick(
    number: int, row: dict[str, Any], side: str
) -> tuple[int, str, str | None, str | None, str | None]:
    row_id = str(row.get("id") or number)
    if isinstance(row.get("text"), str):
        return number, row_id, row["text"], row.get("prompt"), None
    field = "prompt" if side == "input" else "response"
    if isinstance(row.get(field), str):
        return number, row_id, row[field], row.get("prompt") if side == "output" else None, None
    return number, row_id, None, None, f"missing field 'text' or '{field}' (a string)"


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Runtime guard: check texts, scan files, serve the guard and proxy.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="guard")
    register_guard_eval(group)

    @group.command("check")
    def check(
        text: Annotated[str, typer.Argument(help="The text to check ('-' reads stdin).")],
        side: SideOption = "input",
        policy: PolicyOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Check one text; exits 1 when the verdict is block."""
        side = _side(side)
        if text == "-":
            text = sys.stdin.read()
        guard = _guard(policy)
        verdict = guard.check_input(text) if side == "input" else guard.check_output([], text)
        if as_json:
            typer.echo(verdict.model_dump_json())
        else:
            colour = {"allow": "green", "flag": "yellow", "redact": "cyan", "block": "red"}
            out = Console()
            out.print(
                f"[bold {colour[verdict.action]}]{verdict.action}[/]  ({verdict.latency_ms:.2f} ms)"
            )
            for reason in verdict.reasons:
                out.print(f"  - {reason}")
            if verdict.redacted_text is not None:
                out.print(f"redacted: {verdict.redacted_text}")
        if verdict.blocked:
            raise typer.Exit(1)

    @group.command("scan")
    def scan(
        file: Annotated[
            Path, typer.Argument(help="JSONL or CSV with 'text', or 'prompt'/'response'.")
        ],
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Verdicts, one JSON line per input.")
        ],
        side: SideOption = "input",
        policy: PolicyOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Check every row of a file; bad rows are reported with their line numbers."""
        from redline.core import Message

        side = _side(side)
        guard = _guard(policy)
        counts: Counter[str] = Counter()
        bad: list[str] = []
        output.parent.mkdir(parents=True, exist_ok=True)
        total = None
        if file.exists() and file.stat().st_size < 200_000_000:
            with file.open("rb") as handle:
                total = sum(1 for line in handle if line.strip())
        with (
            output.open("w", encoding="utf-8") as sink,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(f"guard {side}", total=total)
            for number, row_id, text, context, problem in _records(file, side):
                progress.advance(task)
                if problem is not None:
                    bad.append(f"{file}:{number}: {problem}")
                    err.print(f"[red]{file}:{number}:[/] {problem}")
                    counts["error"] += 1
                    continue
                if side == "input":
                    verdict = guard.check_input(text)
                else:
                    prompt = (
                        [Message(role="user", content=context)] if isinstance(context, str) else []
                    )
                    verdict = guard.check_output(prompt, text)
                counts[verdict.action] += 1
                record = {
                    "id": row_id,
                    "line": number,
                    "action": verdict.action,
                    "scores": verdict.scores,
                    "reasons": verdict.reasons,
                    "latency_ms": verdict.latency_ms,
                }
                if verdict.redacted_text is not None:
                    record["redacted_text"] = verdict.redacted_text
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        summary = {
            "file": str(file),
            "output": str(output),
            "side": side,
            "rows": sum(counts.values()),
            "actions": dict(counts),
            "bad_lines": bad[:100],
        }
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            table = Table("action", "rows")
            for action, count in sorted(counts.items()):
                table.add_row(action, str(count))
            Console().print(table)
            Console().print(f"verdicts written to {output}")

    @group.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8088,
        policy: PolicyOption = None,
        api_key_env: Annotated[
            str | None,
            typer.Option("--api-key-env", help="Env var holding the key clients must send."),
        ] = None,
        upstream: Annotated[
            str | None,
            typer.Option(
                "--upstream", help="OpenAI-compatible base URL to proxy /v1/chat/completions to."
            ),
        ] = None,
        upstream_key_env: Annotated[
            str | None,
            typer.Option(
                "--upstream-key-env",
                help="Env var with the upstream key (default: pass the client's).",
            ),
        ] = None,
        upstream_timeout: Annotated[
            float, typer.Option(help="Seconds to wait on the upstream.")
        ] = 60.0,
        audit_log: Annotated[
            Path | None,
            typer.Option("--audit-log", help="Append redacted JSONL audit records here."),
        ] = None,
        max_body_bytes: Annotated[int, typer.Option(help="Larger requests get 413.")] = 1_000_000,
    ) -> None:
        """Run the guard HTTP service (and the proxy with --upstream)."""
        import uvicorn

        from redline.guard.audit import AuditLog
        from redline.guard.server import create_app

        def secret(name: str | None, flag: str) -> str | None:
            if name is None:
                return None
            value = os.environ.get(name)
            if not value:
                raise ConfigError(f"{flag}: environment variable {name} is not set")
            return value

        app_ = create_app(
            _guard(policy),
            api_key=secret(api_key_env, "--api-key-env"),
            max_body_bytes=max_body_bytes,
            audit_log=AuditLog(audit_log) if audit_log else None,
            upstream=upstream,
            upstream_api_key=secret(upstream_key_env, "--upstream-key-env"),
            upstream_timeout=upstream_timeout,
        )
        err.print(
            f"guard listening on http://{host}:{port}" + (f" -> {upstream}" if upstream else "")
        )
        uvicorn.run(app_, host=host, port=port, log_level="warning")

    @group.command("policy")
    def policy_command(
        file: Annotated[Path | None, typer.Argument(help="Policy file to validate.")] = None,
        default: Annotated[
            bool, typer.Option("--default", help="Print the default policy.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Validate a policy file (building every scanner), or print the default one."""
        from redline.guard import Guard, default_policy_text, load_policy

        if default or file is None:
            typer.echo(default_policy_text(), nl=False)
            return
        guard = Guard(load_policy(file))
        summary = {
            "file": str(file),
            "valid": True,
            "input": guard.scanner_names("input"),
            "output": guard.scanner_names("output"),
            "skipped": guard.skipped,
        }
        typer.echo(
            json.dumps(summary)
            if as_json
            else f"{file}: valid; input: "
            f"{', '.join(summary['input'])}; output: {', '.join(summary['output'])}"
        )

    @group.command("scanners")
    def scanners(as_json: JsonOption = False) -> None:
        """List the registered scanners and their categories."""
        from redline.guard import SCANNERS

        rows = {}
        for name in SCANNERS.names():
            factory = SCANNERS.get(name)
            rows[name] = {
                "categories": list(getattr(factory, "categories", ())),
                "sides": sorted(getattr(factory, "sides", ())),
            }
        if as_json:
            typer.echo(json.dumps(rows))
            return
        table = Table("scanner", "sides", "categories")
        for name, row in rows.items():
            table.add_row(name, ",".join(row["sides"]), ", ".join(row["categories"]))
        Console().print(table)
