from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from redline.cli import targets as targets_cli
from redline.core import ConfigError
from redline.targets import TargetSpec

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()
    targets_cli.register(app)

    @app.callback()
    def root() -> None:
        """A host app, so `targets` is a subcommand as in redline."""

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "redline.testing.openai_stub", "--port", str(port), "--delay", "0"],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/models").close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_list_shows_every_kind():
    result = runner.invoke(make_app(), ["targets", "list"])
    assert result.exit_code == 0, result.output
    for kind in ("local", "openai", "anthropic", "http", "python"):
        assert kind in result.output
    as_json = runner.invoke(make_app(), ["targets", "list", "--json"])
    kinds = json.loads(as_json.stdout)["kinds"]
    assert "OpenAI-compatible" in kinds["openai"]


def test_check_reports_reply_and_latency(stub_url, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = runner.invoke(
        make_app(), ["targets", "check", "openai:stub-model", "--base-url", stub_url]
    )
    assert result.exit_code == 0, result.output
    assert "openai:stub-model" in result.output
    assert "Sure: Reply with the word OK." in result.output


def test_check_json_with_a_failing_target(stub_url, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app_file = tmp_path / "fails.py"
    app_file.write_text("def reply(prompt):\n    raise RuntimeError('app is down')\n")
    result = runner.invoke(
        make_app(),
        [
            "targets",
            "check",
            "openai:stub-model",
            f"python:{app_file}:reply",
            "--base-url",
            stub_url,
            "--prompt",
            "[refuse] this",
            "--json",
        ],
    )
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["ok"] is False
    good, bad = document["targets"]
    assert good["ok"] is True and good["reply"] == "I cannot help with that."
    assert good["latency_s"] > 0
    assert bad["ok"] is False
    assert bad["target"] == f"python:{app_file}:reply"
    assert "RuntimeError: app is down" in bad["error"]["message"]


def test_check_unreachable_server_exits_3(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    port = free_port()
    result = runner.invoke(
        make_app(),
        ["targets", "check", "openai:m", "--base-url", f"http://127.0.0.1:{port}/v1", "--json"],
    )
    assert result.exit_code == 3
    error = json.loads(result.stdout)["targets"][0]["error"]
    assert error["kind"] == "transient"
    assert "cannot connect" in error["message"]


def test_cli_config_error_is_one_line_and_exit_2():
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            "from redline.cli.app import main; main()",
            "targets",
            "check",
            "opnai",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2, process.stderr
    assert process.stderr.strip().splitlines()[-1].startswith("error: unknown target 'opnai'")
    assert "Did you mean 'openai'" in process.stderr


def test_help_lists_the_shared_target_options():
    result = runner.invoke(make_app(), ["targets", "check", "--help"])
    assert result.exit_code == 0
    for option in ("--base-url", "--api-key-env", "--model-path", "--target-config", "--prompt"):
        assert option in result.output


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {"kind": "local"}),
        ({"target": "openai:gpt-x"}, {"kind": "openai", "model": "gpt-x"}),
        ({"target": "anthropic", "model": "c"}, {"kind": "anthropic", "model": "c"}),
        ({"config_file": Path("a.yaml")}, {"kind": "http", "config_file": Path("a.yaml")}),
        ({"target": "app.yml"}, {"kind": "http", "config_file": Path("app.yml")}),
        ({"target": "http:b.yaml"}, {"kind": "http", "config_file": Path("b.yaml")}),
        ({"target": "local:m.gguf"}, {"kind": "local", "model_path": Path("m.gguf")}),
        ({"target": "local:smollm2-135m-instruct"}, {"kind": "local", "model_path": None}),
        ({"target": "python:pkg.mod:fn"}, {"kind": "python:pkg.mod:fn"}),
        ({"target": "python:cfg.yaml.py:fn"}, {"kind": "python:cfg.yaml.py:fn"}),
    ],
)
def test_target_spec_parse(options, expected):
    spec = TargetSpec.parse(**options)
    for field, value in expected.items():
        assert getattr(spec, field) == value


@pytest.mark.parametrize(
    "options",
    [
        {"target": "openai:a", "model": "b"},
        {"target": "openai", "config_file": Path("x.yaml")},
        {"target": "opnai"},
    ],
)
def test_conflicting_options(options):
    with pytest.raises(ConfigError):
        TargetSpec.parse(**options)
