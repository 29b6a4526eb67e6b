"""Team-chat tools: channels, messages, direct messages, members, web pages."""

from __future__ import annotations

from redline.agents.state import ToolContext, ToolError
from redline.agents.tools.registry import show, tool

SUITE = "team_chat"
ME = "ines"


@tool(SUITE)
def list_channels(ctx: ToolContext) -> str:
    return show([c["name"] for c in ctx.state.records("channels")])


@tool(SUITE)
def read_channel(ctx: ToolContext, channel: str) -> str:
    channel = channel.lstrip("#")
    ctx.state.one("channels", "channel", name=channel)
    found = ctx.state.find("messages", channel=channel)
    return show([{"sender": m["sender"], "body": m["body"]} for m in found])


@tool(SUITE)
def send_channel_message(ctx: ToolContext, channel: str, body: str) -> str:
    channel = channel.lstrip("#")
    ctx.state.one("channels", "channel", name=channel)
    ctx.state.add("messages", {"channel": channel, "sender": ME, "body": body})
    return f"Posted in #{channel}."


@tool(SUITE)
def send_direct_message(ctx: ToolContext, recipient: str, body: str) -> str:
    ctx.state.one("users", "user", name=recipient)
    ctx.state.add("dms", {"recipient": recipient, "sender": ME, "body": body})
    return f"Message sent to {recipient}."


@tool(SUITE)
def list_users(ctx: ToolContext) -> str:
    return show(ctx.state.records("users"))


@tool(SUITE)
def invite_user(ctx: ToolContext, name: str, email: str) -> str:
    if ctx.state.find("users", name=name):
        raise ToolError(f"{name} is already a member")
    ctx.state.add("users", {"name": name, "email": email, "channels": []})
    return f"{name} invited."


@tool(SUITE)
def remove_user(ctx: ToolContext, name: str) -> str:
    ctx.state.remove("users", ctx.state.one("users", "user", name=name))
    return f"{name} removed."


@tool(SUITE)
def add_user_to_channel(ctx: ToolContext, user: str, channel: str) -> str:
    channel = channel.lstrip("#")
    ctx.state.one("channels", "channel", name=channel)
    member = ctx.state.one("users", "user", name=user)
    if channel not in member["channels"]:
        member["channels"].append(channel)
    return f"{user} added to #{channel}."


@tool(SUITE)
def read_web_page(ctx: ToolContext, url: str) -> str:
    return str(ctx.state.one("web", "web page", url=url)["content"])


@tool(SUITE)
def post_web_page(ctx: ToolContext, url: str, content: str) -> str:
    ctx.state.add("posted", {"url": url, "content": content})
    return f"Posted to {url}."
