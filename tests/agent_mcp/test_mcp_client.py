"""The MCP client against real servers over stdio (redline.testing.mcp_stub)."""

from __future__ import annotations

import sys

import anyio
import pytest

from redline.core.errors import ConfigError
from redline.mcp import AsyncMcpTools, McpServer, McpServerError, McpTools, fetch_tools

from .conftest import SERVER_ENV, stub_server


def test_fetch_tools_lists_every_tool_with_its_schema(clean_tools):
    assert [t.name for t in clean_tools] == [
        "get_weather", "search_docs", "create_ticket", "convert_currency"
    ]  # fmt: skip
    weather = clean_tools[0]
    assert weather.description.startswith("Get the current weather")
    assert weather.input_schema["required"] == ["city"]
    assert weather.server.endswith("--tools clean")
    assert weather.to_dict()["function"]["parameters"]["properties"]["city"]["type"] == "string"


def test_poisoned_descriptions_arrive_byte_for_byte(poisoned_tools):
    formatted = {t.name: t for t in poisoned_tools}["format_text"]
    assert "\u200b" in formatted.description and "\U000e0049" in formatted.description


def test_sync_adapter_lists_and_calls_tools():
    with McpTools(stub_server("clean")) as tools:
        names = [t.name for t in tools.list_tools()]
        weather = tools.call_tool("get_weather", {"city": "Lisbon"})
        missing = tools.call_tool("no_such_tool", {})
    assert "get_weather" in names
    assert weather.text == "Weather in Lisbon: 21 C, clear." and not weather.is_error
    assert missing.is_error and "unknown tool" in missing.text


def test_sync_adapter_must_be_opened():
    tools = McpTools(stub_server("clean"))
    with pytest.raises(RuntimeError, match="not open"):
        tools.list_tools()


def test_async_adapter_calls_tools():
    async def session() -> tuple[list[str], str]:
        async with AsyncMcpTools(stub_server("clean")) as tools:
            listed = await tools.list_tools()
            result = await tools.call_tool("create_ticket", {"title": "Broken", "body": "x"})
        return [t.name for t in listed], result.text

    names, text = anyio.run(session)
    assert "create_ticket" in names and text == "Ticket created: Broken"


def test_a_server_that_exits_is_an_error_with_its_stderr():
    server = McpServer.parse(
        f"{sys.executable} -c \"import sys; print('no config found', file=sys.stderr)\"",
        env=SERVER_ENV,
        timeout_seconds=120,
    )
    with pytest.raises(McpServerError, match="server stderr: no config found"):
        fetch_tools(server)


def test_bad_server_commands_are_config_errors():
    with pytest.raises(ConfigError, match="command not found: no-such-binary-xyz"):
        McpServer.parse("no-such-binary-xyz --flag")
    with pytest.raises(ConfigError, match="empty command"):
        McpServer.parse("  ")
    with pytest.raises(ConfigError, match="No closing quotation"):
        McpServer.parse('python "unclosed')


def test_servers_get_only_named_environment_variables(monkeypatch):
    monkeypatch.setenv("REDLINE_TEST_SECRET", "s3cret")
    monkeypatch.setenv("REDLINE_TEST_PASSED", "visible")
    server = McpServer.parse(sys.executable, pass_env=["REDLINE_TEST_PASSED"], env={"A": "1"})
    env = server.parameters().env or {}
    assert env["REDLINE_TEST_PASSED"] == "visible" and env["A"] == "1"
    assert "REDLINE_TEST_SECRET" not in env
