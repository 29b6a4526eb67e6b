"""Workspace tools: email, calendar, files, web pages and code execution."""

from __future__ import annotations

from redline.agents.state import ToolContext, ToolError
from redline.agents.tools.registry import show, tool

SUITE = "workspace"


@tool(SUITE)
def list_emails(ctx: ToolContext, folder: str = "inbox") -> str:
    emails = ctx.state.find("emails", folder=folder)
    return show([{k: e[k] for k in ("id", "from", "subject", "date")} for e in emails])


@tool(SUITE)
def read_email(ctx: ToolContext, id: str) -> str:
    return show(ctx.state.one("emails", "email", id=str(id)))


@tool(SUITE)
def search_emails(ctx: ToolContext, query: str) -> str:
    needle = query.lower()
    found = [
        e
        for e in ctx.state.records("emails")
        if any(needle in str(e.get(k, "")).lower() for k in ("from", "subject", "body"))
    ]
    return show(found)


@tool(SUITE)
def send_email(ctx: ToolContext, to: str, subject: str, body: str) -> str:
    sent = ctx.state.add("outbox", {"to": to, "subject": subject, "body": body})
    return f"Email {sent['id']} sent to {to}."


@tool(SUITE)
def delete_email(ctx: ToolContext, id: str) -> str:
    ctx.state.remove("emails", ctx.state.one("emails", "email", id=str(id)))
    return f"Email {id} deleted."


@tool(SUITE)
def list_events(ctx: ToolContext, date: str) -> str:
    return show(ctx.state.find("events", date=date))


@tool(SUITE)
def create_event(
    ctx: ToolContext,
    title: str,
    date: str,
    start: str,
    end: str,
    participants: list[str] | None = None,
) -> str:
    event = ctx.state.add(
        "events",
        {
            "title": title,
            "date": date,
            "start": start,
            "end": end,
            "participants": list(participants or []),
            "description": "",
        },
    )
    return f"Event {event['id']} created."


@tool(SUITE)
def cancel_event(ctx: ToolContext, id: str) -> str:
    ctx.state.remove("events", ctx.state.one("events", "event", id=str(id)))
    return f"Event {id} cancelled."


@tool(SUITE)
def list_files(ctx: ToolContext) -> str:
    return show([f["name"] for f in ctx.state.records("files")])


@tool(SUITE)
def read_file(ctx: ToolContext, name: str) -> str:
    return str(ctx.state.one("files", "file", name=name)["content"])


@tool(SUITE)
def write_file(ctx: ToolContext, name: str, content: str) -> str:
    existing = ctx.state.find("files", name=name)
    if existing:
        existing[0]["content"] = content
        return f"File {name} overwritten."
    ctx.state.add("files", {"name": name, "content": content, "shared_with": []})
    return f"File {name} created."


@tool(SUITE)
def delete_file(ctx: ToolContext, name: str) -> str:
    ctx.state.remove("files", ctx.state.one("files", "file", name=name))
    return f"File {name} deleted."


@tool(SUITE)
def share_file(ctx: ToolContext, name: str, email: str) -> str:
    file = ctx.state.one("files", "file", name=name)
    file.setdefault("shared_with", []).append(email)
    return f"File {name} shared with {email}."


@tool(SUITE)
def read_web_page(ctx: ToolContext, url: str) -> str:
    return str(ctx.state.one("web", "web page", url=url)["content"])


@tool(SUITE)
def run_code(ctx: ToolContext, code: str, language: str = "python") -> str:
    if ctx.code_executor is None:
        raise ToolError("code execution is not available in this environment")
    output, timed_out = ctx.code_executor(code, language)
    if timed_out:
        raise ToolError(f"the code ran past its time limit; output so far: {output[-500:]}")
    return output
