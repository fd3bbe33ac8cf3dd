"""``GET /calendar/{token}.ics``: the subscribed calendar, authorised by the secret in the address alone.

No session and no cookie is read: a calendar program has neither. Conditional requests are answered 304
(If-None-Match, else If-Modified-Since) without building the calendar. An unknown or revoked address is a
plain 404 that says nothing more.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from dosewise.formats.ical import MEDIA_TYPE
from dosewise.services import calendar_feeds
from dosewise.services.ports import AccessDenied
from dosewise.web.calendar.models import FEED_PREFIX
from dosewise.web.security import context

router = APIRouter(prefix=FEED_PREFIX, include_in_schema=False)
# Calendar programs may keep a copy but must ask again each time; no shared cache may keep it.
_CACHE = "private, no-cache"


def _etags(header: str | None) -> frozenset[str]:
    """The entity tags of an If-None-Match header, weak ones compared by their opaque part."""
    if not header:
        return frozenset()
    return frozenset(part.strip().removeprefix("W/") for part in header.split(",") if part.strip())


def _not_modified_since(header: str | None, last_modified: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and last_modified.replace(microsecond=0) <= since


@router.api_route("/{token}.ics", methods=["GET", "HEAD"])
def calendar_feed(token: str, request: Request) -> Response:
    ctx = context(request)
    known = _etags(request.headers.get("if-none-match"))
    try:
        found = calendar_feeds.feed_calendar(
            store=ctx.store, kb=ctx.kb, clock=ctx.clock, token=token, known=known
        )
    except AccessDenied:
        return PlainTextResponse("There is no calendar at this address.", status_code=404)
    headers = {
        "ETag": found.etag,
        "Last-Modified": format_datetime(found.last_modified, usegmt=True),
        "Cache-Control": _CACHE,
        "X-Robots-Tag": "noindex",
    }
    unchanged = found.body is None or (
        not known and _not_modified_since(request.headers.get("if-modified-since"), found.last_modified)
    )
    if unchanged:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="doses.ics"'
    body = b"" if request.method == "HEAD" else found.body or b""
    response = Response(body, media_type=MEDIA_TYPE, headers=headers)
    if request.method == "HEAD":
        response.headers["content-length"] = str(len(found.body or b""))
    return response
