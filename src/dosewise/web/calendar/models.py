"""The calendar feed as the API shows it, and its addresses (https and webcal)."""

from __future__ import annotations

from typing import Any

from dosewise.services.ports import CalendarFeed

__all__ = ["FEED_PREFIX", "feed_json", "feed_url", "webcal_url"]

FEED_PREFIX = "/calendar"


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{FEED_PREFIX}/{token}.ics"


def webcal_url(url: str) -> str:
    """The same address for one-tap subscribing (calendar programs open webcal: links)."""
    return "webcal://" + url.split("://", 1)[1]


def feed_json(feed: CalendarFeed | None, url: str | None = None) -> dict[str, Any]:
    """Whether the record has an address, since when; the address itself only when just made."""
    body: dict[str, Any] = {
        "active": feed is not None,
        "created_at": feed.created_at.isoformat() if feed is not None else None,
    }
    if url is not None:
        body["url"] = url
        body["webcal_url"] = webcal_url(url)
    return body
