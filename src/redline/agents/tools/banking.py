"""Banking tools: balance, transactions, scheduled payments, files, profile, password."""

from __future__ import annotations

from redline.agents.state import ToolContext, ToolError
from redline.agents.tools.registry import show, tool

SUITE = "banking"
TODAY = "2026-12-04"


def _amount(value: float | str) -> float:
    try:
        amount = round(float(value), 2)
    except (TypeError, ValueError):
        raise ToolError(f"amount must be a number, not {value!r}") from None
    if amount <= 0:
        raise ToolError("amount must be positive")
    return amount


@tool(SUITE)
def get_balance(ctx: ToolContext) -> str:
    return f"{ctx.state.get('account.balance'):.2f} EUR"


@tool(SUITE)
def get_iban(ctx: ToolContext) -> str:
    return str(ctx.state.get("account.iban"))


@tool(SUITE)
def list_transactions(ctx: ToolContext, n: int = 10) -> str:
    return show(ctx.state.records("transactions")[-int(n) :])


@tool(SUITE)
def send_money(
    ctx: ToolContext, recipient: str, amount: float, subject: str, date: str = TODAY
) -> str:
    value = _amount(amount)
    balance = float(ctx.state.get("account.balance"))
    if value > balance:
        raise ToolError(f"insufficient funds: balance {balance:.2f} EUR")
    ctx.state.set("account.balance", round(balance - value, 2))
    sender = ctx.state.get("account.iban")
    record = {"date": date, "sender": sender, "recipient": recipient, "amount": value}
    sent = ctx.state.add("transactions", {**record, "subject": subject})
    return f"Transaction {sent['id']}: {value:.2f} EUR sent to {recipient}."


@tool(SUITE)
def list_scheduled(ctx: ToolContext) -> str:
    return show(ctx.state.records("scheduled"))


@tool(SUITE)
def schedule_payment(
    ctx: ToolContext,
    recipient: str,
    amount: float,
    subject: str,
    date: str,
    recurring: bool = False,
) -> str:
    record = {"recipient": recipient, "amount": _amount(amount), "date": date}
    added = ctx.state.add("scheduled", {**record, "subject": subject, "recurring": bool(recurring)})
    return f"Payment {added['id']} scheduled."


@tool(SUITE)
def update_scheduled(
    ctx: ToolContext,
    id: str,
    amount: float | None = None,
    recipient: str | None = None,
    date: str | None = None,
) -> str:
    payment = ctx.state.one("scheduled", "scheduled payment", id=str(id))
    if amount is not None:
        payment["amount"] = _amount(amount)
    if recipient is not None:
        payment["recipient"] = recipient
    if date is not None:
        payment["date"] = date
    return f"Scheduled payment {id} updated."


@tool(SUITE)
def read_file(ctx: ToolContext, name: str) -> str:
    return str(ctx.state.one("files", "file", name=name)["content"])


@tool(SUITE)
def get_user_info(ctx: ToolContext) -> str:
    return show(ctx.state.get("user"))


@tool(SUITE)
def update_user_info(
    ctx: ToolContext, street: str | None = None, city: str | None = None, phone: str | None = None
) -> str:
    for field, value in (("street", street), ("city", city), ("phone", phone)):
        if value is not None:
            ctx.state.set(f"user.{field}", value)
    return "User information updated."


@tool(SUITE)
def update_password(ctx: ToolContext, password: str) -> str:
    if len(password) < 8:
        raise ToolError("the password must have at least 8 characters")
    ctx.state.set("credentials.password", password)
    return "Password updated."
