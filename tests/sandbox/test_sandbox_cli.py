"""`redline sandbox run FILE` and `redline sandbox check`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.sandbox import bubblewrap

runner = CliRunner()


@pytest.mark.needs_sandbox
def test_run_prints_the_output_and_exits_0(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("print('hello from the sandbox')\n")
    result = runner.invoke(app, ["sandbox", "run", str(script)])
    assert result.exit_code == 0, result.output
    assert "hello from the sandbox" in result.stdout
    assert "exit code 0" in result.stderr


@pytest.mark.needs_sandbox
def test_run_json_reports_the_limit_and_exits_1(tmp_path):
    script = tmp_path / "spin.sh"
    script.write_text("while :; do :; done\n")
    result = runner.invoke(
        app, ["sandbox", "run", str(script), "--cpu-seconds", "1", "--wall-seconds", "60", "--json"]
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["limit"] == "cpu_time" and document["ok"] is False


def test_run_bad_input_exits_2(tmp_path):
    missing = runner.invoke(app, ["sandbox", "run", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2 and "nope.py: file not found" in missing.stderr
    odd = tmp_path / "code.txt"
    odd.write_text("print(1)")
    unknown = runner.invoke(app, ["sandbox", "run", str(odd)])
    assert unknown.exit_code == 2 and "pass --language" in unknown.stderr
    language = runner.invoke(app, ["sandbox", "run", str(odd), "-l", "cobol"])
    assert language.exit_code == 2 and "'cobol' is not supported" in language.stderr


def test_check_and_run_without_bubblewrap_exit_3(tmp_path, monkeypatch):
    script = tmp_path / "hello.py"
    script.write_text("print(1)\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    bubblewrap.find_bubblewrap.cache_clear()
    try:
        check = runner.invoke(app, ["sandbox", "check", "--json"])
        assert check.exit_code == 3
        assert json.loads(check.stdout)["available"] is False
        run = runner.invoke(app, ["sandbox", "run", str(script)])
        assert run.exit_code == 3 and "not installed" in run.stderr
    finally:
        bubblewrap.find_bubblewrap.cache_clear()


def test_help():
    result = runner.invoke(app, ["sandbox", "run", "--help"])
    assert result.exit_code == 0 and "--wall-seconds" in result.stdout
