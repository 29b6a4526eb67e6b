import os
import sys
from pathlib import Path

import pytest

import redline
from redline.mcp import McpServer, PoisoningScanner, fetch_tools, scan_guard

# The servers are subprocesses: they import redline from the tree under test.
SERVER_ENV = {"PYTHONPATH": str(Path(redline.__file__).resolve().parents[1])}
# Starting Python with the MCP SDK takes seconds on a loaded machine.
TIMEOUT = 180.0


def stub_server(tools: str) -> McpServer:
    command = f"{sys.executable} -m redline.testing.mcp_stub --tools {tools}"
    return McpServer.parse(command, env=SERVER_ENV, timeout_seconds=TIMEOUT)


def stub_command(tools: str) -> str:
    return f"{sys.executable} -m redline.testing.mcp_stub --tools {tools}"


@pytest.fixture(scope="session")
def poisoned_tools():
    return fetch_tools(stub_server("poisoned"))


@pytest.fixture(scope="session")
def clean_tools():
    return fetch_tools(stub_server("clean"))


@pytest.fixture(scope="session")
def rules_scanner():
    """The scanner with the guard's phrase rules only (no classifiers to load)."""
    return PoisoningScanner(guard=scan_guard(models=False))


@pytest.fixture
def cli_env(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([SERVER_ENV["PYTHONPATH"]]))
