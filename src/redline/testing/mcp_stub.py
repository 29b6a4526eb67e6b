"""An MCP server over stdio whose tools come from a YAML file, for tests and benchmarks.

Each tool in the file has a ``name``, a ``description``, an ``input_schema`` (JSON
Schema, sent as written) and a ``reply``: text returned by a call, where
``{arguments}`` is replaced by the call's arguments as JSON and ``{name}`` by any
argument's value. Two files ship with redline: ``clean.yaml`` (ordinary tools)
and ``poisoned.yaml`` (tool-poisoning examples: hidden instructions, invisible
text, exfiltration URLs, shadowing, requests for secrets). ``--generate N``
serves N ordinary tools instead, for timing a scan.

Run it::

    python -m redline.testing.mcp_stub --tools poisoned
    redline agent mcp-scan --server "python -m redline.testing.mcp_stub --tools poisoned"
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import yaml
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

SHIPPED = ("clean", "poisoned")


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="clean", help="clean, poisoned or a YAML file")
    parser.add_argument("--generate", type=int, default=0, help="serve N generated tools")
    args = parser.parse_args(argv)
    tools = generated_tools(args.generate) if args.generate else load_tools(args.tools)
    anyio.run(serve, tools)


if __name__ == "__main__":
    main()
