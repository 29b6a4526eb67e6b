"""`redline agent mcp-scan`: scan MCP servers' tools for tool poisoning.

The `agent` group is shared with `redline agent run` (cli/agent.py), which hooks
this command in with one line: ``register_mcp_scan(group)``. Until that module
exists, :func:`register` here makes an `agent` group holding only this command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from redline.cli.options import JsonOption
from redline.core.errors import ConfigError

_SEVERITY_STYLE = {"high": "red", "medium": "yellow", "low": "cyan"}
_SEVERITIES = ("low", "medium", "high")


def env_pairs(values: list[str], *, option: str = "--env") -> dict[str, str]:
    """``NAME=VALUE`` options as a mapping (ConfigError naming ``option`` otherwise)."""
    pairs = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            raise ConfigError(f"{option}: expected NAME=VALUE, got {value!r}")
        pairs[name] = setting
    return pairs


def mcp_scan(
    server: Annotated[
        list[str],
        typer.Option(
            "--server",
            "-s",
            help='The server command, e.g. "npx -y @org/server" or "python -m my_server" '
            "(repeatable: tools are also checked for shadowing across servers).",
        ),
    ],
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="NAME=VALUE to set in the servers' environment (repeatable)."),
    ] = None,
    pass_env: Annotated[
        list[str] | None,
        typer.Option(
            "--pass-env",
            help="Pass this variable from redline's environment to the servers (repeatable); "
            "by default they get only PATH, HOME and the like, never your secrets.",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1.0, help="Seconds to wait for each server reply.")
    ] = 60.0,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 on findings of this severity or above.")
    ] = "medium",
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Guard policy for the scan (default: shipped).")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Poisoning rules YAML (default: the shipped rules)."),
    ] = None,
    no_models: Annotated[
        bool, typer.Option("--no-models", help="Guard phrase rules only, no classifiers (faster).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Connect to MCP servers over stdio, list their tools and scan names,
    descriptions and input schemas for tool poisoning: hidden instructions,
    invisible text, exfiltration URLs, shadowing of other tools, requests for
    secrets. Exit code 1 when a finding reaches --fail-on, 3 when a server fails."""
    # lazy: the MCP SDK and the guard load only when a scan runs (CLI start-up)
    from redline.mcp import McpServer, PoisoningScanner, load_rules, scan_guard, scan_servers

    if fail_on not in _SEVERITIES:
        raise ConfigError(f"--fail-on: expected one of {', '.join(_SEVERITIES)}, got {fail_on!r}")
    servers = [
        McpServer.parse(
            command, env=env_pairs(env or []), pass_env=pass_env or [], timeout_seconds=timeout
        )
        for command in server
    ]
    err = Console(stderr=True)
    scanner = PoisoningScanner(
        guard=scan_guard(policy=policy, models=not no_models), rules=load_rules(rules)
    )
    with err.status("listing tools…") as status:
        report = scan_servers(
            servers,
            scanner=scanner,
            on_listed=lambda s, n: status.update(f"listed {n} tools from {s.label}"),
        )
    for note in report.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    failing = report.failing(fail_on)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(report.to_dict(fail_on=fail_on)))  # type: ignore[arg-type]
    else:
        _print_report(report, failing_count=len(failing), fail_on=fail_on)
    if failing:
        raise typer.Exit(1)


def _print_report(report: object, *, failing_count: int, fail_on: str) -> None:
    from redline.mcp import McpScanReport

    assert isinstance(report, McpScanReport)
    console = Console(width=max(120, Console().width))
    if report.findings:
        table = Table("severity", "tool", "field", "check")
        table.add_column("evidence", overflow="fold")
        for finding in report.findings:
            style = _SEVERITY_STYLE[finding.severity]
            table.add_row(
                f"[{style}]{finding.severity}[/]",
                finding.tool,
                finding.field,
                finding.check,
                finding.evidence,
            )
        console.print(table)
    counts = report.counts()
    tools = len(report.tools)
    flagged = len(report.flagged_tools())
    console.print(
        f"{tools} tools from {len(report.servers)} server(s); {flagged} flagged; findings: "
        f"{counts['high']} high, {counts['medium']} medium, {counts['low']} low "
        f"({failing_count} at or above {fail_on})",
        highlight=False,
    )


def register_mcp_scan(group: typer.Typer) -> None:
    """Add `mcp-scan` to the `agent` group (the one-line hook for cli/agent.py)."""
    group.command("mcp-scan")(mcp_scan)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Agents: scan MCP servers for tool poisoning.", no_args_is_help=True)
    app.add_typer(group, name="agent")
    register_mcp_scan(group)
