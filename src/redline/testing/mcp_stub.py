"""An MCP server over stdio whose tools come from a YAML file, for tests and benchmarks.

Each tool in the file has a ``name``, a ``description``, an ``input_schema`` (JSON
Schema, sent as written) and a ``reply``: text returned by a call, where
``{arguments}`` is replaced by the call's arguments as JSON and ``{name}`` by any
argument's value. Three files ship with redline: ``clean.yaml`` (ordinary tools),
``poisoned.yaml`` (tool-poisoning examples: hidden instructions, invisible
text, exfiltration URLs, shadowing, requests for secrets) and ``inbox.yaml`` (a
mail server whose inbox carries a prompt injection, the environment of
``agent run --mcp-server`` tests, with its tasks in ``inbox_tasks.yaml``).
``--generate N`` serves N ordinary tools instead, for timing a scan.

Over stdio (the default) or, with ``--http-port``, Streamable HTTP on
127.0.0.1 (port 0: any free port); the first line on stdout is then the URL.

Run it::

    python -m redline.testing.mcp_stub --tools poisoned
    redline agent mcp-scan --server "python -m redline.testing.mcp_stub --tools poisoned"
    python -m redline.testing.mcp_stub --tools inbox --http-port 0
"""

from __future__ import annotations

import argparse
import json
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import yaml
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

SHIPPED = ("clean", "poisoned", "inbox")


def load_tools(source: str) -> list[dict[str, Any]]:
    """The tools of a shipped set (``clean``, ``poisoned``) or of a YAML file."""
    if source in SHIPPED:
        text = resources.files("redline.testing.mcp_servers").joinpath(f"{source}.yaml")
        data = yaml.safe_load(text.read_text("utf-8"))
    else:
        data = yaml.safe_load(Path(source).read_text("utf-8"))
    return list(data["tools"])


def generated_tools(count: int) -> list[dict[str, Any]]:
    """``count`` ordinary tools with a couple of typed parameters each."""
    return [
        {
            "name": f"lookup_record_{i}",
            "description": f"Look up record set {i} by id and return its fields as JSON.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "record_id": {"type": "string", "description": "The record's id."},
                    "fields": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["record_id"],
            },
            "reply": "record {record_id}: found",
        }
        for i in range(count)
    ]


def build_server(tools: list[dict[str, Any]]) -> Server[Any]:
    by_name = {tool["name"]: tool for tool in tools}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=tool["name"],
                    description=tool.get("description"),
                    input_schema=tool.get("input_schema", {"type": "object"}),
                )
                for tool in tools
            ]
        )

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=f"unknown tool {params.name}")],
                is_error=True,
            )
        arguments = params.arguments or {}
        fields = {key: str(value) for key, value in arguments.items()}
        text = str(tool.get("reply", "ok"))
        text = text.replace("{arguments}", json.dumps(arguments, sort_keys=True))
        for key, value in fields.items():
            text = text.replace("{" + key + "}", value)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])

    return Server("redline-mcp-stub", on_list_tools=list_tools, on_call_tool=call_tool)


async def serve(tools: list[dict[str, Any]]) -> None:
    server = build_server(tools)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve_http(tools: list[dict[str, Any]], port: int) -> None:
    """Serve Streamable HTTP at ``http://127.0.0.1:PORT/mcp``; prints the URL once listening."""
    import uvicorn

    app = build_server(tools).streamable_http_app(host="127.0.0.1")
    # Bound and listening before the URL is printed: a client that reads the line
    # can connect at once, with no wait for the server's start-up.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print(f"http://127.0.0.1:{listener.getsockname()[1]}/mcp", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    anyio.run(lambda: server.serve(sockets=[listener]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="clean", help="clean, poisoned, inbox or a YAML file")
    parser.add_argument("--generate", type=int, default=0, help="serve N generated tools")
    parser.add_argument(
        "--http-port", type=int, default=None, help="serve Streamable HTTP on this port"
    )
    args = parser.parse_args(argv)
    tools = generated_tools(args.generate) if args.generate else load_tools(args.tools)
    if args.http_port is not None:
        serve_http(tools, args.http_port)
    else:
        anyio.run(serve, tools)


if __name__ == "__main__":
    main()
