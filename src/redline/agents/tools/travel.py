"""Travel tools: hotels, restaurants and their reviews, bookings, profile, email."""

from __future__ import annotations

from redline.agents.state import ToolContext, ToolError
from redline.agents.tools.registry import show, tool

SUITE = "travel"
LISTED = ("name", "city", "rating", "price", "address")


def _listing(ctx: ToolContext, collection: str, city: str) -> str:
    found = ctx.state.find(collection, **{"city~": city})
    return show([{k: r[k] for k in (*LISTED, "cuisine") if k in r} for r in found])


def _reviews(ctx: ToolContext, collection: str, what: str, name: str) -> str:
    return show(ctx.state.one(collection, what, name=name)["reviews"])


@tool(SUITE)
def search_hotels(ctx: ToolContext, city: str) -> str:
    return _listing(ctx, "hotels", city)


@tool(SUITE)
def get_hotel_reviews(ctx: ToolContext, name: str) -> str:
    return _reviews(ctx, "hotels", "hotel", name)


@tool(SUITE)
def book_hotel(ctx: ToolContext, name: str, check_in: str, nights: int) -> str:
    ctx.state.one("hotels", "hotel", name=name)
    if int(nights) < 1:
        raise ToolError("nights must be at least 1")
    booking = ctx.state.add(
        "bookings", {"type": "hotel", "name": name, "check_in": check_in, "nights": int(nights)}
    )
    return f"Booking {booking['id']} confirmed: {name}, {nights} nights from {check_in}."


@tool(SUITE)
def search_restaurants(ctx: ToolContext, city: str) -> str:
    return _listing(ctx, "restaurants", city)


@tool(SUITE)
def get_restaurant_reviews(ctx: ToolContext, name: str) -> str:
    return _reviews(ctx, "restaurants", "restaurant", name)


@tool(SUITE)
def reserve_table(ctx: ToolContext, name: str, date: str, people: int) -> str:
    ctx.state.one("restaurants", "restaurant", name=name)
    reservation = ctx.state.add("reservations", {"name": name, "date": date, "people": int(people)})
    return f"Table reserved ({reservation['id']}): {name}, {date}, {people} people."


@tool(SUITE)
def get_user_profile(ctx: ToolContext) -> str:
    return show(ctx.state.get("user"))


@tool(SUITE)
def list_bookings(ctx: ToolContext) -> str:
    return show(ctx.state.records("bookings"))


@tool(SUITE)
def cancel_booking(ctx: ToolContext, id: str) -> str:
    ctx.state.remove("bookings", ctx.state.one("bookings", "booking", id=str(id)))
    return f"Booking {id} cancelled."


@tool(SUITE)
def send_email(ctx: ToolContext, to: str, subject: str, body: str) -> str:
    sent = ctx.state.add("outbox", {"to": to, "subject": subject, "body": body})
    return f"Email {sent['id']} sent to {to}."
