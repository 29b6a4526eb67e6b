"""`redline scan --executor ray` when ray is missing or the cluster cannot be reached."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from redline.cli.app import app


def scan_with(tmp_path: Path, *extra: str) -> Result:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "hello"}\n', encoding="utf-8")
    args = [
        "scan", "--target", "openai", "--model", "stub", "--base-url", "http://127.0.0.1:9/v1",
        "--prompts", str(prompts), "--runs-dir", str(tmp_path / "runs"), "--no-progress", *extra,
    ]  # fmt: skip
    return CliRunner().invoke(app, args)


def test_executor_ray_without_ray_exits_2_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import ray` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.delitem(sys.modules, "redline.engine.ray_executor", raising=False)
    result = scan_with(tmp_path, "--executor", "ray")
    assert result.exit_code == 2
    assert "pip install 'redline[ray]'" in result.output


def test_unreachable_ray_address_exits_3_naming_it(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
    result = scan_with(tmp_path, "--executor", "ray", "--ray-address", address)
    assert result.exit_code == 3
    assert f"cannot reach the Ray cluster at {address}" in result.output


def test_unknown_executor_exits_2(tmp_path: Path) -> None:
    result = scan_with(tmp_path, "--executor", "dask")
    assert result.exit_code == 2
    assert "executor" in result.output
