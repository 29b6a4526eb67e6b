"""`redline agent mcp-scan` against real MCP servers."""

from __future__ import annotations

import json
import sys

from typer.testing import CliRunner

from redline.cli.app import app

from .conftest import SERVER_ENV, stub_command

runner = CliRunner()
ENV = [f"--env=PYTHONPATH={SERVER_ENV['PYTHONPATH']}", "--timeout", "180"]


def test_poisoned_server_exits_1_with_findings_in_json():
    result = runner.invoke(
        app, ["agent", "mcp-scan", "--server", stub_command("poisoned"), *ENV, "--json"]
    )
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["failed"] is True and document["counts"]["high"] >= 5
    assert {f["tool"] for f in document["findings"]} == {
        "add_numbers", "format_text", "fetch_page", "send_email_helper", "diagnostics"
    }  # fmt: skip


def test_clean_server_exits_0_with_a_summary_line():
    result = runner.invoke(
        app, ["agent", "mcp-scan", "--server", stub_command("clean"), *ENV, "--no-models"]
    )
    assert result.exit_code == 0, result.output
    assert "4 tools from 1 server(s); 0 flagged" in result.stdout


def test_a_failing_server_exits_3():
    command = f"{sys.executable} -c \"raise SystemExit('bad server')\""
    result = runner.invoke(app, ["agent", "mcp-scan", "--server", command, *ENV, "--no-models"])
    assert result.exit_code == 3
    assert "could not" in result.stderr or "failed" in result.stderr
    assert "bad server" in result.stderr


def test_bad_options_exit_2():
    missing = runner.invoke(app, ["agent", "mcp-scan", "--server", "no-such-binary-xyz"])
    assert missing.exit_code == 2 and "command not found" in missing.stderr
    severity = runner.invoke(
        app, ["agent", "mcp-scan", "--server", sys.executable, "--fail-on", "urgent"]
    )
    assert severity.exit_code == 2 and "--fail-on" in severity.stderr
    env = runner.invoke(app, ["agent", "mcp-scan", "--server", sys.executable, "--env", "NOEQUALS"])
    assert env.exit_code == 2 and "NAME=VALUE" in env.stderr


def test_help():
    result = runner.invoke(app, ["agent", "mcp-scan", "--help"])
    assert result.exit_code == 0 and "--server" in result.stdout and "--fail-on" in result.stdout
