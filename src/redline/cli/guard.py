"""`redline guard`: check texts, scan files, and run the guard service or proxy."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from redline.cli.labelled_eval import register_guard_eval
from redline.cli.options import ExecutorOption, JsonOption, RayAddressOption, RayWorkersOption
from redline.core import ConfigError
from redline.core.images import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS

if TYPE_CHECKING:
    from redline.guard.input_rows import Side

PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped default policy).")
]
SideOption = Annotated[
    str, typer.Option("--side", help="input (to the model) or output (from it).")
]

err = Console(stderr=True)


def _side(value: str) -> Side:
    if value not in ("input", "output"):
        raise ConfigError(f"--side: expected input or output, got {value!r}")
    return "input" if value == "input" else "output"


def _guard(policy: Path | None) -> Any:
    from redline.guard import Guard

    guard = Guard.from_policy(policy) if policy else Guard.default()
    for name, reason in guard.skipped.items():
        err.print(f"[yellow]note:[/] {name}: {reason}")
    return guard


ACTION_COLOUR = {"allow": "green", "flag": "yellow", "redact": "cyan", "block": "red"}


def _check_image_files(guard: Any, paths: list[Path], side: str) -> Any:
    """OCR each image file and run the guard on the text read (ConfigError: exit 2)."""
    # Imported here: Pillow and the OCR engine load only when images are checked.
    from redline.guard.images import ImageCheck, ImageScanner, image_text_verdict

    scanner = ImageScanner()
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        try:
            found.append(scanner.read_bytes(data))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    verdict = image_text_verdict(guard, found, side=side)  # type: ignore[arg-type]
    return ImageCheck(action=verdict.action if verdict else "allow", verdict=verdict, images=found)


def _print_check(action: str, verdict: Any, images: Any) -> None:
    out = Console()
    latency = f"  ({verdict.latency_ms:.2f} ms)" if verdict is not None else ""
    out.print(f"[bold {ACTION_COLOUR[action]}]{action}[/]{latency}")
    for reason in verdict.reasons if verdict is not None else []:
        out.print(f"  - {reason}")
    if verdict is not None and verdict.redacted_text is not None:
        out.print(f"redacted: {verdict.redacted_text}")
    for found in images.images if images is not None else []:
        text = " / ".join(found.text.splitlines()) or "(no text found)"
        out.print(
            f"image {found.sha256[:12]} {found.width}x{found.height}, OCR {found.ocr_ms:.0f} ms: "
            f"{text}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Runtime guard: check texts, scan files, serve the guard and proxy.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="guard")
    register_guard_eval(group)

    @group.command("check")
    def check(
        text: Annotated[
            str | None, typer.Argument(help="The text to check ('-' reads stdin).")
        ] = None,
        image: Annotated[
            list[Path] | None,
            typer.Option(
                "--image",
                help="An image file to OCR and check (repeatable; PNG, JPEG, GIF, WebP).",
            ),
        ] = None,
        side: SideOption = "input",
        policy: PolicyOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Check one text and/or images; exits 1 when the verdict is block."""
        # Imported here for start-up speed (Pillow loads only when images are checked).
        from redline.guard.images import stricter

        side = _side(side)
        if text is None and not image:
            raise ConfigError("give a text to check, or --image FILE")
        # Bytes from stdin, not text: invalid UTF-8 is the guard's to clean, not a crash.
        subject: str | bytes | None = sys.stdin.buffer.read() if text == "-" else text
        guard = _guard(policy)
        verdict = None
        if subject is not None:
            verdict = (
                guard.check_input(subject) if side == "input" else guard.check_output([], subject)
            )
        images = _check_image_files(guard, image or [], side) if image else None
        if images is not None:
            verdict = stricter(verdict, images.verdict) if verdict else images.verdict
        action = verdict.action if verdict is not None else "allow"
        if as_json:
            payload = verdict.model_dump(mode="json") if verdict else {"action": action}
            if images is not None:
                payload["images"] = [found.model_dump(mode="json") for found in images.images]
            typer.echo(json.dumps(payload))
        else:
            _print_check(action, verdict, images)
        if action == "block":
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
        executor: ExecutorOption = None,
        ray_address: RayAddressOption = None,
        ray_workers: RayWorkersOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Check every row of a file and write one verdict per row.

        A file with a bad row is rejected whole before anything is checked: each
        problem is listed as FILE:LINE and the exit code is 2. With --executor ray
        the rows are checked by guard copies on a Ray cluster (Ray Data), in order.
        """
        from redline.engine.executors import ray_missing, uses_ray
        from redline.guard.input_rows import (
            batched,
            check_row_batch,
            check_rows,
            read_rows,
            verdict_record,
        )

        side = _side(side)
        on_ray = uses_ray(executor)
        total = check_rows(file, side)
        guard = _guard(policy)  # built here too: a bad policy fails before any work starts
        counts: Counter[str] = Counter()
        output.parent.mkdir(parents=True, exist_ok=True)
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
            if on_ray:
                try:
                    from redline.guard.ray_scan import scan_rows_on_ray
                except ImportError as exc:
                    raise ray_missing(exc) from None
                records: Iterator[dict[str, Any]] = scan_rows_on_ray(
                    read_rows(file, side),
                    side=side,
                    policy_text=policy.read_text(encoding="utf-8") if policy else None,
                    address=ray_address,
                    workers=ray_workers,
                    progress=lambda done: progress.update(task, completed=done),
                )
            else:
                # Rows are checked in batches: the classifiers score a batch at once.
                records = (
                    verdict_record(row, verdict)
                    for rows in batched(read_rows(file, side))
                    for row, verdict in zip(rows, check_row_batch(guard, rows, side), strict=True)
                )
            for record in records:
                counts[record["action"]] += 1
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                if not on_ray:
                    progress.advance(task)
        summary = {
            "file": str(file),
            "output": str(output),
            "side": side,
            "rows": sum(counts.values()),
            "actions": dict(counts),
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
        max_image_bytes: Annotated[
            int, typer.Option(help="Larger images in messages get 400 (decoded bytes).")
        ] = DEFAULT_MAX_IMAGE_BYTES,
        max_image_pixels: Annotated[
            int,
            typer.Option(
                help="Images with more pixels (width x height, read from the header before "
                "decoding) get 400: decompression bombs never reach the decoder."
            ),
        ] = DEFAULT_MAX_IMAGE_PIXELS,
    ) -> None:
        """Run the guard HTTP service (and the proxy with --upstream)."""
        import uvicorn

        from redline.guard.audit import AuditLog
        from redline.guard.images import ImageScanner
        from redline.guard.server import create_app

        if max_image_bytes < 1 or max_image_pixels < 1:
            raise ConfigError("--max-image-bytes and --max-image-pixels must be at least 1")

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
            image_scanner=ImageScanner(max_bytes=max_image_bytes, max_pixels=max_image_pixels),
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

        def listed(side: Side) -> str:
            if side in guard.policy.disabled:
                return "disabled"
            return ", ".join(guard.scanner_names(side))

        summary["disabled"] = list(guard.policy.disabled)
        typer.echo(
            json.dumps(summary)
            if as_json
            else f"{file}: valid; input: {listed('input')}; output: {listed('output')}"
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
